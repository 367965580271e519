"""AWS faults between boto3 and the emulator, and SIGKILL mid-run: runs converge, nothing lost or doubled.

Every process of a run (runner, papermill, kernel) loads tests/faults/sitecustomize.py, which gives
each botocore client the seeded fault injector in tests/faults/aws_faults.py. `make soak` runs the
same trials many more times and prints the figures quoted in the README.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from faults.aws_faults import read_log, spec
from faults.trials import (
    DEPARTED,
    FLAKY_OPERATIONS,
    crash_trial,
    departed_director,
    observe,
    reset,
    run,
    with_faults,
)
from helpers import clean_env

from backlog_alerts.io.emulator import emulator_environ

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clean(moto_endpoint, tmp_path_factory):
    """What a fault-free run leaves behind, from an empty emulator."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in emulator_environ(moto_endpoint, {}).items():
            patch.setenv(name, value)
        reset(moto_endpoint)
        departed_director()
        result = run(
            emulator_environ(moto_endpoint, clean_env()), "--output-dir", str(tmp_path_factory.mktemp("c"))
        )
        assert result.returncode == 0, result.stderr
        outcome = observe(moto_endpoint)
    assert (
        len(outcome.deliveries) == 2 and len(outcome.subscriptions) == 10
    )  # the demo: 2 alerts, 10 endpoints
    assert not any(endpoint == DEPARTED for *_, endpoint in outcome.subscriptions)
    return outcome


def test_a_fifth_of_calls_failing_converges_to_the_fault_free_run(clean, aws_endpoint, tmp_path):
    """Seed 71's faults hit all five operations with all four kinds; `make soak` runs twenty seeds."""
    faults = []
    for seed in (71,):
        reset(aws_endpoint)
        departed_director()
        log = tmp_path / f"faults-{seed}.jsonl"
        chaos = spec(rate=0.2, seed=seed, operations=FLAKY_OPERATIONS, log=str(log))
        result = run(
            with_faults(emulator_environ(aws_endpoint, clean_env()), chaos),
            "--output-dir",
            str(tmp_path / "out"),
        )
        assert result.returncode == 0, result.stderr  # botocore's retries absorbed every fault
        assert observe(aws_endpoint) == clean  # same subscriptions, deliveries (each once) and alert state
        faults += [f for f in read_log(str(log)) if f["kind"]]
    assert {f["operation"] for f in faults} == set(FLAKY_OPERATIONS)
    assert {f["kind"] for f in faults} == {
        "throttling",
        "internal_error",
        "unavailable",
        "dropped_connection",
    }


def test_a_permanent_publish_failure_is_recorded_and_the_next_run_sends_only_what_was_missing(
    clean, aws_endpoint, tmp_path
):
    departed_director()
    env = emulator_environ(aws_endpoint, clean_env())
    refused = {"operation": "Publish", "match": "streets_notifications", "kind": "access_denied"}
    out = tmp_path / "out"
    first = run(with_faults(env, spec(permanent=[refused])), "--output-dir", str(out))
    assert first.returncode == 1
    assert (
        "03_alert_check.ipynb failed: PublishError: 1 alert(s) not sent, e.g. rule potholes to streets: "
        in first.stderr
    )
    assert "not sent: AuthorizationError" in first.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    failed = nbformat.read(str(folder / "03_alert_check.ipynb"), as_version=4)
    assert any(o.output_type == "error" for c in failed.cells for o in c.get("outputs", []))
    partial = observe(aws_endpoint)
    # The other department got its alert, and the ops topic heard about the failure.
    assert sorted(topic for topic, *_ in partial.deliveries) == ["backlog_alerts_ops", "trash_notifications"]
    heard = {(h["service"], h["tier"]) for h in json.loads(partial.state)["heard"]}
    assert heard == {("Illegal Dumping", "warning")}, "the state holds only what went out"

    second = run(env, "--output-dir", str(out))
    assert second.returncode == 0, second.stderr
    assert observe(aws_endpoint).for_directors() == clean  # streets sent now, trash not sent again


def test_a_run_killed_whole_at_the_publish_and_the_state_save_is_finished_by_the_next_run(
    clean, aws_endpoint, tmp_path
):
    """SIGKILL to the runner and its kernels from inside the publishing kernel: right after SNS took the
    first alert (before the state recorded it) the next run repeats that one alert, and only it; right
    after the state recorded it, nothing is repeated. Nothing is ever missing."""
    env = emulator_environ(aws_endpoint, clean_env())
    after_publish = crash_trial(1, aws_endpoint, env, tmp_path, clean, moment="publish")
    after_save = crash_trial(2, aws_endpoint, env, tmp_path, clean, moment="state-save")
    for trial in (after_publish, after_save):
        assert trial.same_subscriptions and trial.missing == 0, trial
    assert after_publish.duplicates == 1, after_publish  # the one window: published, not yet recorded
    assert after_save.duplicates == 0, after_save


def test_an_endpoint_that_is_down_fails_each_change_clearly_and_the_next_sync_finishes(aws_endpoint, sns):
    """In-process: SNS unreachable for Subscribe (after botocore's retries) fails every add, named."""
    from faults.aws_faults import FaultInjector

    from backlog_alerts.io import aws
    from backlog_alerts.sync.apply import SyncApplyError, apply_plan, raise_for_failures
    from backlog_alerts.sync.contacts import Contact
    from backlog_alerts.sync.plan import plan_sync
    from backlog_alerts.sync.subscriptions import list_subscriptions, wanted_subscriptions
    from backlog_alerts.sync.topics import ensure_topics

    topics = {t.department: t for t in ensure_topics(sns, {"trash": ""})}
    wanted = wanted_subscriptions([Contact(2, "Dana", "dana@example.gov", "+16195550101", "trash")], topics)
    down = aws.client("sns", "us-east-1")
    FaultInjector(permanent=[{"operation": "Subscribe", "kind": "endpoint_down"}]).install(down)
    outcome = apply_plan(down, plan_sync(topics, wanted, {"trash": []}))
    assert {c.result.split(":")[0] for c in outcome} == {"failed"}
    with pytest.raises(
        SyncApplyError, match=r"2 subscription change\(s\) failed, e.g. add .* Could not connect"
    ):
        raise_for_failures(outcome)
    assert list_subscriptions(sns, topics["trash"].arn) == []  # nothing half-made

    healthy = apply_plan(sns, plan_sync(topics, wanted, {"trash": []}))
    assert {c.result for c in healthy} == {"added"}
