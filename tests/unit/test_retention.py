from datetime import UTC, datetime

from backlog_alerts.trail.retention import runs_to_remove

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def manifest(run_id, day, status="succeeded"):
    return {"run_id": run_id, "started_at": f"2026-11-{day:02d}T00:00:00+00:00", "status": status}


RUNS = [  # oldest first
    manifest("r1", 1),
    manifest("r2", 2, "failed"),
    manifest("r3", 20),
    manifest("r4", 25, "interrupted"),
    manifest("r5", 27),
]


def test_no_limits_remove_nothing():
    assert runs_to_remove(RUNS, None, None, NOW) == []


def test_keep_runs_removes_older_successes_but_never_a_failure():
    assert runs_to_remove(RUNS, 2, None, NOW) == ["r3", "r1"]


def test_keep_days_removes_everything_older_failed_or_not():
    assert runs_to_remove(RUNS, None, 10, NOW) == ["r2", "r1"]


def test_both_limits():
    assert runs_to_remove(RUNS, 1, 5, NOW) == ["r3", "r2", "r1"]  # r4 failed 3 days ago: kept


def test_apply_retention_deletes_run_folders_on_disk(tmp_path):
    import json

    from backlog_alerts.trail.retention import apply_retention

    for run in RUNS:
        (tmp_path / run["run_id"]).mkdir()
        (tmp_path / run["run_id"] / "manifest.json").write_text(json.dumps(run))
    assert apply_retention(str(tmp_path), keep_runs=2, keep_days=None) == ["r3", "r1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r2", "r4", "r5"]
