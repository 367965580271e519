"""What an attacker who can write to the trail or the alert state plants never makes `audit` (any format)
or `report` raise: what could not be read is said (`not read: ...`) and its run is flagged, never shown
as a clean `succeeded`."""

import json
import tempfile
import warnings
from pathlib import Path

import nbformat
import pytest
from helpers import hand_built_run, write_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output

from backlog_alerts.io import storage
from backlog_alerts.run.cli import main
from backlog_alerts.state.document import AlertState
from backlog_alerts.trail.executed import read_notebook
from backlog_alerts.trail.facts import FACTS_MIME
from backlog_alerts.trail.runs import run_folders
from backlog_alerts.trail.untraced import state_of_trail

RUN_ID = "20261128T110713.084847Z"
ALERT_CHECK = "03_alert_check.ipynb"


def audit_and_report(trail: Path, site: Path, capsys) -> dict[str, tuple[str, str]]:
    """`audit` in every format and per, and `report`, run in-process (a crash fails the test with its
    traceback): each one's stdout and stderr."""
    said = {}
    for args in (
        [],
        ["--format", "json"],
        *(["--format", "csv", "--per", per] for per in ("run", "alert", "notice")),
    ):
        assert main(["audit", "--output-dir", str(trail), *args]) == 0
        said[" ".join(args) or "table"] = capsys.readouterr()
    assert main(["report", "--output-dir", str(trail), "--to", str(site)]) == 0
    said["report"] = capsys.readouterr()
    return said


@pytest.fixture
def trail(tmp_path):
    trail = tmp_path / "trail"
    write_run(trail, hand_built_run(RUN_ID))
    return trail


@pytest.mark.parametrize("planted", ["[1, 2]", '{"cells": "x", "metadata": []}', '"x"', "{}", "not json"])
def test_a_notebook_that_is_json_but_not_a_notebook_is_not_read_and_the_rest_is_shown(
    trail, tmp_path, capsys, planted
):
    (trail / RUN_ID / ALERT_CHECK).write_text(planted)
    said = audit_and_report(trail, tmp_path / "site", capsys)
    line = f"not read: {RUN_ID}/{ALERT_CHECK}: not a notebook"
    for shown in said.values():
        assert line in shown.err or "wrote" in shown.out
    assert "s3://b/contacts.csv" in said["--format json"].out  # notebook 02's facts still shown
    index = (tmp_path / "site" / "index.html").read_text()  # under "Not read", said once
    assert line.removeprefix("not read: ") in index and "not read: not read" not in index.casefold()


def test_a_planted_notebook_without_cell_ids_warns_nothing(tmp_path):
    notebook = json.loads(nbformat.writes(new_notebook(cells=[new_code_cell("")])))
    del notebook["cells"][0]["id"]
    path = tmp_path / ALERT_CHECK
    path.write_text(json.dumps(notebook))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        read_notebook(path)
    assert [str(w.message) for w in said] == []


def tampered_facts(trail: Path, key: str, value) -> None:
    """Notebook 03 of the trail's run with the fact `key` replaced by `value` (a raw payload for None)."""
    path = trail / RUN_ID / ALERT_CHECK
    notebook = nbformat.read(path, as_version=4)
    outputs = notebook.cells[0].outputs
    if key is None:
        outputs.append(new_output("display_data", data={FACTS_MIME: value}))
    else:
        outputs.append(new_output("display_data", data={FACTS_MIME: {"key": key, "value": value}}))
    nbformat.write(notebook, path)


NO_DEPARTMENT = [{"rule": "zebra_rule", "action": "publish", "message_id": "m-1", "count": 5}]
WRONG_FACTS = [
    ("alerts", "notalist", "fact alerts"),
    ("alerts", NO_DEPARTMENT, "fact alerts: [0].department: field required"),
    ("reach", [{"department": "streets", "people": "all"}], "fact reach"),
    ("coverage", {"action": "published", "message_id": "x", "conditions": [1]}, "fact coverage"),
    ("report_notice", {"status": ["late"]}, "fact report_notice"),
    ("report", {"period": 5, "uri": [1], "sha256": {"a": 1}}, "fact report"),
    ("sync_outcome", "x", None),  # in notebook 03 it is nobody's fact: shown in the full run, not used
    (None, "a string", "1 facts output(s) not of a fact's form"),
    (None, {"key": ["alerts"], "value": []}, "1 facts output(s) not of a fact's form"),
]


@pytest.mark.parametrize(("key", "value", "said"), WRONG_FACTS)
def test_a_fact_of_the_wrong_shape_is_left_out_and_said_and_the_rest_is_shown(
    trail, tmp_path, capsys, key, value, said
):
    tampered_facts(trail, key, value)
    shown = audit_and_report(trail, tmp_path / "site", capsys)
    if said:
        line = f"not read: {RUN_ID}/{ALERT_CHECK}: {said}"
        assert line in shown["table"].err and line in shown["--format csv --per alert"].err
    assert "s3://b/contacts.csv" in shown["--format json"].out


def test_data_no_shape_check_covers_leaves_out_the_notebook_it_breaks_not_the_run(
    trail, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("backlog_alerts.trail.run_folder.misshapen", lambda facts: {})
    tampered_facts(trail, "alerts", NO_DEPARTMENT)
    shown = audit_and_report(trail, tmp_path / "site", capsys)
    line = f"not read: {RUN_ID}/{ALERT_CHECK}: its facts are not of the package's form (KeyError)"
    assert line in shown["table"].err and line in shown["--format json"].out
    assert "s3://b/contacts.csv" in shown["--format json"].out


HAND_SENT = {
    "run_id": "20261129T000000.000000Z",
    "sent_at": "2026-11-29T00:00:00+00:00",
    "topic": "arn:aws:sns:x:1:streets",
    "department": "streets",
    "severity": "warning",
    "rules": ["zebra_rule"],
    "message_id": "hand-1",
}
HAND_TOLD = {k: HAND_SENT[k] for k in ("run_id", "sent_at", "topic", "message_id")} | {"kind": "coverage"}


def test_entries_of_the_state_s_logs_not_of_its_form_are_left_out_and_said_the_rest_listed(
    trail, tmp_path, capsys
):
    state = AlertState(
        sends=[{"sent_at": None, "run_id": 5, "rules": "notalist"}, "a plain string", [1], HAND_SENT],
        ops_sends=[{**HAND_TOLD, "message_id": {"x": 1}}, 7, HAND_TOLD],
    )
    (trail / "alert_state.json").write_text(state.to_json())
    shown = audit_and_report(trail, tmp_path / "site", capsys)
    said = [f"sends[{i}]: not an entry of the form the alert state logs" for i in range(3)]
    said += [f"ops_sends[{i}]: not an entry of the form the alert state logs" for i in range(2)]
    for line in said:
        assert line in shown["table"].err and line in shown["--format csv --per alert"].err
        assert line in (tmp_path / "site" / "index.html").read_text()
    data = json.loads(shown["--format json"].out)
    assert [s["message_id"] for s in data["sent_outside_runs"]] == ["hand-1"]
    assert [n["message_id"] for n in data["ops_notices_outside_runs"]] == ["hand-1"]
    assert len(data["state_read"]["not_read"]) == 5


def test_a_planted_folder_sorting_last_does_not_choose_the_state_read_and_the_state_is_named(
    tmp_path, capsys
):
    trail, real, decoy = tmp_path / "trail", tmp_path / "real_state.json", tmp_path / "decoy_state.json"
    run = hand_built_run(RUN_ID)
    run["manifest"]["state_uri"] = str(real)
    write_run(trail, run)
    real.write_text(AlertState(sends=[HAND_SENT]).to_json())
    decoy.write_text(AlertState().to_json())
    planted = trail / "\uff120261205T000000.000000Z"  # a fullwidth 2: sorts after every run id
    planted.mkdir()
    (planted / "manifest.json").write_text(json.dumps({**run["manifest"], "state_uri": str(decoy)}))
    assert state_of_trail(str(trail)) == str(real)
    shown = audit_and_report(trail, tmp_path / "site", capsys)
    table = " ".join(shown["table"].out.split())  # wrapped to 120 columns
    assert f"read from the alert state {real}" in table and "hand-1" in table
    assert json.loads(shown["--format json"].out)["state_read"]["uri"] == str(real)
    assert f"Read from the alert state <code>{real}</code>" in (tmp_path / "site" / "index.html").read_text()


@pytest.mark.parametrize("tamper", ["replaced", "climbing", "missing"])
def test_a_run_with_a_part_not_read_is_flagged_in_every_format_never_a_clean_succeeded(
    trail, tmp_path, capsys, tamper
):
    folder = trail / RUN_ID
    if tamper == "replaced":
        (folder / ALERT_CHECK).write_text("<html>not a notebook</html>")
    elif tamper == "missing":
        (folder / ALERT_CHECK).unlink()
    else:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["notebooks"].append({**manifest["notebooks"][-1], "notebook": "../../x.ipynb"})
        (folder / "manifest.json").write_text(json.dumps(manifest))
    shown = audit_and_report(trail, tmp_path / "site", capsys)
    flagged = "incomplete: part not read (manifest: succeeded)"
    assert flagged in " ".join(shown["table"].out.split())  # the table's details, unwrapped
    assert json.loads(shown["--format json"].out)["runs"][0]["status"] == flagged
    for per in ("run", "alert", "notice"):
        rows = shown[f"--format csv --per {per}"].out.splitlines()[1:]
        assert all(flagged in row for row in rows if row)
    index = (tmp_path / "site" / "index.html").read_text()
    assert f'<span class="status incomplete">{flagged}</span>' in index and 'tr class="incomplete"' in index
    page = (tmp_path / "site" / RUN_ID / "index.html").read_text()
    assert f'<span class="status incomplete">{flagged}</span>' in page
    assert f"not read: {RUN_ID}/" in page.split("<h2>Manifest</h2>")[0]  # under Notebooks, at the top


def test_manifests_at_s3_keys_with_empty_or_dot_segments_are_said_not_skipped_silently(monkeypatch):
    keys = [f"runs/{RUN_ID}/manifest.json", "runs/../x/manifest.json", f"runs/./{RUN_ID}/manifest.json"]
    keys += [f"runs//{RUN_ID}/manifest.json", "runs/../manifest.json", f"runs/{RUN_ID}/deeper/manifest.json"]
    listing = storage.listing_of_keys("trail", "runs/", ((key, '"etag"') for key in keys))
    monkeypatch.setattr(storage, "trail_listing", lambda location: listing)
    folders = run_folders("s3://trail/runs")
    assert folders.run_ids == [RUN_ID] and folders.files == {RUN_ID: {"manifest.json": '"etag"'}}
    why = "a key with an empty or dot path segment; not followed"
    assert folders.not_read == [f"not read: s3://trail/{key}: {why}" for key in keys[1:5]]


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
FACT_KEYS = ["alerts", "decisions", "reach", "topics", "messages", "sync_outcome", "sync_plan", "changes"]
FACT_KEYS += ["problems", "run", "report", "contacts_file", "report_notice", "coverage", "applying"]
MANIFEST_KEYS = ["notebooks", "ops_notices", "inputs", "refused_input", "status", "state_uri", "pid"]
# Junk shaped like what it replaces, so that it gets past the first check: a list of almost-alerts.
ALMOST = st.lists(
    st.fixed_dictionaries(
        {"rule": st.text(max_size=4), "department": st.sampled_from(["streets", "parks"])},
        optional={k: JUNK for k in ("action", "message_id", "count", "people", "conditions", "error")},
    ),
    max_size=3,
)


@pytest.mark.parametrize("target", ["notebook", "fact", "manifest", "state"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=JUNK | ALMOST, key=st.sampled_from(FACT_KEYS + MANIFEST_KEYS))
def test_no_junk_planted_in_the_trail_or_the_state_makes_audit_or_report_raise(capsys, target, junk, key):
    """Whatever JSON takes the place of a notebook, a fact, a manifest (or one of its fields) or the
    state's log entries, `audit` in every format and `report` finish: what was not read is said."""
    with tempfile.TemporaryDirectory() as scratch:
        trail = Path(scratch) / "trail"
        folder = write_run(trail, hand_built_run(RUN_ID))
        if target == "notebook":
            (folder / ALERT_CHECK).write_text(json.dumps(junk))
        elif target == "fact":
            tampered_facts(trail, key if key in FACT_KEYS else None, junk)
        elif target == "manifest":
            manifest = json.loads((folder / "manifest.json").read_text())
            planted = {**manifest, key: junk} if key in MANIFEST_KEYS else junk
            (folder / "manifest.json").write_text(json.dumps(planted))
        else:
            entries = junk if isinstance(junk, list) else [junk]
            state = AlertState(sends=[*entries, HAND_SENT], ops_sends=[*entries, HAND_TOLD])
            (trail / "alert_state.json").write_text(state.to_json())
        audit_and_report(trail, Path(scratch) / "site", capsys)


def test_a_notebook_that_ran_yet_recorded_no_facts_is_not_read_and_its_run_is_incomplete(
    trail, tmp_path, capsys
):
    """An emptied notebook (valid, no cells) must not make a run that sent alerts read as one that sent none."""
    nbformat.write(new_notebook(cells=[]), trail / RUN_ID / ALERT_CHECK)
    said = audit_and_report(trail, tmp_path / "site", capsys)
    assert f"not read: {RUN_ID}/{ALERT_CHECK}: it ran, yet recorded no facts" in said["table"].err
    assert "incomplete" in said["table"].out and "incomplete" in said["--format csv --per run"].out
