"""`backlog-alerts backtest` on the report history: its notebook is kept on the trail, nothing is sent."""

from __future__ import annotations

import pytest
from helpers import POTHOLE_RULE


@pytest.mark.integration
def test_the_backtest_command_keeps_its_notebook_on_the_trail_and_sends_nothing(
    aws_endpoint, s3, history, tmp_path
):
    import yaml
    from helpers import clean_env, only_run_folder, run_cli

    from backlog_alerts.io.demo import DEMO_STATE_URI
    from backlog_alerts.io.emulator import emulator_environ, published_messages
    from backlog_alerts.trail.audit import collect
    from backlog_alerts.trail.executed import read_facts

    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        yaml.safe_dump({"rules": [{**POTHOLE_RULE, "name": "potholes_150", "threshold": 150}]})
    )
    args = [
        "backtest",
        "--reports",
        str(history),
        "--rules",
        str(proposed),
        "--output-dir",
        str(tmp_path / "out"),
    ]
    result = run_cli(args, emulator_environ(aws_endpoint, clean_env()))
    assert result.returncode == 0, result.stderr
    assert "backtest over 5 report(s): 2019-01, 2019-02, 2019-03, 2019-04, 2019-05" in result.stdout
    folder = only_run_folder(tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == ["04_backtest.ipynb", "manifest.json", "record.json"]
    facts = read_facts(folder / "04_backtest.ipynb")
    assert {(r["period"], r["rule"]) for r in facts["proposed_backtest"]} == {
        (f"2019-0{i}", "potholes_150") for i in range(1, 6)
    }
    assert len(facts["side_by_side"]) == 10  # 5 periods x 2 watched services
    assert published_messages(aws_endpoint) == []  # nothing sent
    bucket, key = DEMO_STATE_URI.removeprefix("s3://").split("/", 1)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0  # the real alert state untouched
    (row,) = collect(str(tmp_path / "out"))
    assert row["status"] == "succeeded" and row["run_id"] == folder.name
