"""Run ids and run folders: sortable, unique, in start order; only these are read from a trail."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.trail.runs import (
    NOTEBOOKS,
    create_run_folder,
    is_notebook_name,
    is_run_id,
    new_run_id,
    run_folders,
)


def test_run_id_is_a_sortable_utc_timestamp():
    run_id = new_run_id(datetime(2026, 2, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert run_id == "20260203T040506.000007Z"
    assert new_run_id(datetime(2026, 2, 3, 4, 5, 6, 8, tzinfo=UTC)) > run_id


def test_run_folders_are_unique_and_in_start_order_even_within_a_second(tmp_path):
    ids = [create_run_folder(str(tmp_path))[0] for _ in range(200)]
    assert len(set(ids)) == 200
    assert ids == sorted(ids)
    assert sorted(p.name for p in tmp_path.iterdir()) == ids


# --- what the auditor's tools read back from a trail ------------------------------------------------


@given(st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)))  # runs happen after 2000
def test_every_run_id_the_package_makes_is_of_the_run_id_form(moment):
    assert is_run_id(new_run_id(moment))


@given(st.text())
def test_a_name_of_the_run_id_form_cannot_leave_its_folder(name):
    if is_run_id(name):
        assert name.isascii() and name.isprintable() and "/" not in name and ".." not in name
        assert new_run_id(datetime.strptime(name, "%Y%m%dT%H%M%S.%fZ")) == name


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "..",
        "20261128T110713.084847Z\n",
        "20261128T110713.084847Z/..",
        "x20261128T110713.084847Z",
        "20261128T110713.084847",
        "2026112８T110713.084847Z",
        "",
        None,
        20261128,
    ],
)
def test_anything_else_is_not_a_run_id(name):
    assert not is_run_id(name)


def test_only_the_notebooks_the_package_writes_are_known():
    from backlog_alerts.run.plan import BACKTEST
    from backlog_alerts.run.plan import NOTEBOOKS as RUN

    assert {*RUN, BACKTEST} == NOTEBOOKS
    for name in ("../../x.ipynb", "01_topic_setup.ipynb/../../x", "01_topic_setup", "/etc/passwd", 3):
        assert not is_notebook_name(name)


def test_folders_not_named_by_a_run_id_are_listed_not_read(tmp_path):
    for name in ("20261128T110713.084847Z", "..evil", "notes \u202egpj.exe"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
    (tmp_path / "html").mkdir()  # no manifest: not a run folder at all, not mentioned
    found = run_folders(str(tmp_path))
    assert found.run_ids == ["20261128T110713.084847Z"]
    assert found.not_read == [
        "not read: ..evil: not a run id; folders are named by the run's start time",
        "not read: notes <U+202E>gpj.exe: not a run id; folders are named by the run's start time",
    ]


def test_a_manifest_the_package_did_not_write_is_not_read(tmp_path):
    import json

    from helpers import hand_built_run

    from backlog_alerts.trail.audit import load_trail

    manifest = hand_built_run()["manifest"]
    manifest["notebooks"] = [{"notebook": "../../x.ipynb", "status": "succeeded"}]
    for run_id, claimed in (
        ("20261128T110713.084847Z", "20261128T110713.084847Z"),
        ("20261128T110713.084848Z", "../evil"),
    ):
        (tmp_path / run_id).mkdir()
        (tmp_path / run_id / "manifest.json").write_text(json.dumps({**manifest, "run_id": claimed}))
    (tmp_path / "20261128T110713.084849Z").mkdir()
    (tmp_path / "20261128T110713.084849Z" / "manifest.json").write_text(
        json.dumps({**manifest, "run_id": "20261128T110713.084849Z", "pid": "x", "host": 3})
    )
    trail = load_trail(str(tmp_path))
    runs = list(trail)
    assert [run["manifest"]["run_id"] for run in runs] == ["20261128T110713.084847Z"]
    assert runs[0]["manifest"]["notebooks"] == []
    assert trail.not_read == [
        "not read: 20261128T110713.084847Z/../../x.ipynb: not a notebook this package writes",
        "not read: 20261128T110713.084848Z: its manifest names another run id",
        "not read: 20261128T110713.084849Z: its manifest.json has unexpected host, pid",
    ]
