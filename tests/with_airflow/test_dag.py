"""The Airflow DAG, in its own environment (`make test-airflow`; skipped where Airflow is absent).

Airflow's DagBag imports deploy/airflow/backlog_alerts_dag.py without errors, makes one DAG per params
file with the tasks in order, and `airflow dags test` runs a DAG against the moto server with the same
deliveries and the same audit entry as `backlog-alerts run`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, clean_env, reset_emulator

from backlog_alerts.io.demo import seed_demo
from backlog_alerts.io.emulator import emulator_environ, published_messages

pytest.importorskip("airflow")
pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
DAGS = ROOT / "deploy" / "airflow"
COMPARED = ("status", "totals", "subscriptions")


@pytest.fixture
def airflow_env(aws_endpoint, tmp_path):
    """An Airflow home with its database, and a folder holding two cities' params files."""
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params["output_dir"] = str(tmp_path / "airflow-out")
    (tmp_path / "params").mkdir()
    for city in ("city_a", "city_b"):
        (tmp_path / "params" / f"{city}.yaml").write_text(yaml.safe_dump(params))
    env = {
        **emulator_environ(aws_endpoint, clean_env()),
        "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "BACKLOG_ALERTS_PARAMS_DIR": str(tmp_path / "params"),
    }
    migrate = subprocess.run([BIN / "airflow", "db", "migrate"], env=env, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return env


def test_dagbag_imports_one_dag_per_params_file_with_tasks_in_order(airflow_env, monkeypatch):
    for name, value in airflow_env.items():
        monkeypatch.setenv(name, value)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["backlog_alerts_city_a", "backlog_alerts_city_b"]
    dag = bag.dags["backlog_alerts_city_a"]  # from the parsed file: no metadata database needed
    order = ["begin", "topic_setup", "subscription_sync", "alert_check", "finish"]
    for task, following in zip(order, order[1:], strict=False):
        assert dag.get_task(task).downstream_task_ids == {following}
    assert dag.get_task("finish").trigger_rule == "all_done"
    assert dag.get_task("alert_check").trigger_rule == "all_done", "a failed sync must not silence alerts"


def audit_rows(output_dir: Path) -> list[dict]:
    result = subprocess.run(
        [BIN / "backlog-alerts", "audit", "--output-dir", str(output_dir), "--format", "json"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    return json.loads(result.stdout)["runs"]


def deliveries(endpoint: str) -> list[tuple[str, str, str]]:
    return sorted(
        (m["topic"], m["subject"], m["message"].split("Run: ")[0]) for m in published_messages(endpoint)
    )


def test_a_dag_run_delivers_and_audits_like_backlog_alerts_run(airflow_env, aws_endpoint, s3, tmp_path):
    cli = subprocess.run(
        [BIN / "backlog-alerts", "run", "--output-dir", str(tmp_path / "cli-out")],
        env=emulator_environ(aws_endpoint, clean_env()),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    by_cli = deliveries(aws_endpoint)

    reset_emulator(aws_endpoint)
    seed_demo(s3)  # `backlog-alerts run` seeds the demo itself; an Airflow deployment has its data
    dag_run = subprocess.run(
        [BIN / "airflow", "dags", "test", "backlog_alerts_city_a"],
        env=airflow_env,
        capture_output=True,
        text=True,
    )
    assert dag_run.returncode == 0, dag_run.stdout[-3000:] + dag_run.stderr[-3000:]
    assert deliveries(aws_endpoint) == by_cli and len(by_cli) == 2

    (from_cli,) = audit_rows(tmp_path / "cli-out")
    (from_airflow,) = audit_rows(tmp_path / "airflow-out")
    assert {k: from_airflow[k] for k in COMPARED} == {k: from_cli[k] for k in COMPARED}
    assert [{**a, "message_id": bool(a["message_id"])} for a in from_airflow["alerts"]] == [
        {**a, "message_id": bool(a["message_id"])} for a in from_cli["alerts"]
    ]
    assert from_airflow["status"] == "succeeded"
    folder = tmp_path / "airflow-out" / from_airflow["run_id"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "01_topic_setup.ipynb",
        "02_subscription_sync.ipynb",
        "03_alert_check.ipynb",
        "manifest.json",
    ]
