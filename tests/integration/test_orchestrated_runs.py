"""Runs driven by an orchestrator: begin and finish around notebook tasks, as the Airflow DAG uses them."""

from __future__ import annotations

import os

import pytest
from helpers import drain, params_file, subscribe_queue

from backlog_alerts.errors import SourceError
from backlog_alerts.io import locations
from backlog_alerts.io.demo import seed_demo
from backlog_alerts.run import orchestrated
from backlog_alerts.run.kernels import Kernels
from backlog_alerts.run.notebook import execute_notebook
from backlog_alerts.run.plan import plan_run
from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.audit import collect
from backlog_alerts.trail.lock import RunLockBusy

pytestmark = pytest.mark.integration


def test_notebook_tasks_between_begin_and_finish_make_an_ordinary_audited_run(aws_endpoint, s3, tmp_path):
    seed_demo(s3)
    params = params_file(tmp_path, output_dir=str(tmp_path / "out"))
    run_id = "20261128T070000.000000Z"
    folder = orchestrated.begin(params, run_id, owner="airflow:test")
    plan = plan_run(params)
    for path in plan.paths:  # what the three PapermillOperator tasks do
        with Kernels([path], dict(os.environ), None) as kernels:
            status, error = execute_notebook(
                path,
                locations.join(folder, path.name),
                orchestrated.notebook_parameters(plan, run_id)[path.name],
                execution_timeout=300,
                notebook_timeout=900,
                kernels=kernels,
            )
        assert status == "succeeded", error
    result = orchestrated.finish(params, run_id)
    assert result.failed is None
    (row,) = collect(str(tmp_path / "out"))
    assert (row["run_id"], row["status"], row["published"]) == (
        run_id,
        "succeeded",
        "potholes:publish; illegal_dumping:publish",
    )


def trail_bucket_and_ops_inbox(s3, sns, sqs) -> str:
    """The demo inputs, an S3 bucket for the trail, and a queue on the ops topic: its URL."""
    seed_demo(s3)
    s3.create_bucket(Bucket="trail")
    (ops,) = ensure_topics(sns, {}, ops_topic="backlog_alerts_ops")
    return subscribe_queue(sqs, sns, ops.arn, "ops-inbox")


def test_a_task_that_left_nothing_fails_the_run_tells_ops_and_frees_the_s3_lock(
    aws_endpoint, s3, sns, sqs, tmp_path
):
    inbox = trail_bucket_and_ops_inbox(s3, sns, sqs)
    params = params_file(tmp_path, output_dir="s3://trail/runs", lock_wait=0)
    orchestrated.begin(params, "20261128T070000.000000Z", owner="airflow:city")
    with pytest.raises(RunLockBusy, match=r"run id 20261128T070000.000000Z, started at .* on airflow:city"):
        orchestrated.begin(params, "20261128T070500.000000Z", owner="airflow:city")

    result = orchestrated.finish(params, "20261128T070000.000000Z")  # no notebook task ran
    assert result.failed.notebook == "01_topic_setup.ipynb"
    assert result.failed.error == "the task left no executed copy"
    (row,) = collect("s3://trail/runs")
    assert row["status"] == "failed at notebook 1 (01_topic_setup)"
    (notice,) = drain(sqs, inbox)
    assert notice["Subject"] == "[OPS] backlog-alerts run failed at 01_topic_setup"
    orchestrated.begin(params, "20261128T071000.000000Z", owner="airflow:city")  # the lock is free again


def test_a_begin_refused_by_the_check_leaves_a_refused_run_tells_ops_and_frees_the_s3_lock(
    aws_endpoint, s3, sns, sqs, tmp_path
):
    inbox = trail_bucket_and_ops_inbox(s3, sns, sqs)
    report = tmp_path / "report.csv"
    report.write_text("service_name,count\nPothole,lots\n")
    params = params_file(tmp_path, output_dir="s3://trail/runs", lock_wait=0, report_uri=str(report))
    with pytest.raises(SourceError, match="'lots' is not a whole number"):
        orchestrated.begin(params, "20261128T070000.000000Z", owner="airflow:city")
    (row,) = collect("s3://trail/runs")
    assert (row["run_id"], row["status"]) == ("20261128T070000.000000Z", "refused")
    assert "'lots' is not a whole number" in row["error"]
    (notice,) = drain(sqs, inbox)
    assert notice["Subject"].startswith("[OPS] backlog-alerts run refused")
    with pytest.raises(SourceError):  # the lock was released: the next begin gets as far as the check
        orchestrated.begin(params, "20261128T071000.000000Z", owner="airflow:city")
