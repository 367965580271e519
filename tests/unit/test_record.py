"""A run's compact record: `audit` reads it instead of the notebooks while every file it was built from
is as it was, and what `audit` says never depends on whether a record is there, current, stale or junk."""

import json
import os
import tempfile
from pathlib import Path

import pytest
from helpers import hand_built_run, write_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backlog_alerts.ascii_text import visible
from backlog_alerts.io import storage, versioned
from backlog_alerts.trail import run_folder
from backlog_alerts.trail.audit import Said, Trail, load_run
from backlog_alerts.trail.audit_formats import render
from backlog_alerts.trail.manifest import FAILED, Manifest
from backlog_alerts.trail.record import RECORD, OutsideTrail, read_record, save_record, write_record
from backlog_alerts.trail.record import sources as record_sources
from backlog_alerts.trail.run_folder import read_run_folder

RUN_ID = "20261128T110713.084847Z"


def audit_json(trail: Path) -> dict:
    runs = Trail(str(trail), check=False)
    data = json.loads(render(runs, "json", not_read=runs.not_read))
    return data | {"not_read": [line for line in data["not_read"] if RECORD not in line]}


@pytest.fixture
def trail(tmp_path):
    write_run(tmp_path / "trail", hand_built_run(RUN_ID))
    return tmp_path / "trail"


def test_the_first_read_of_an_ended_run_saves_its_record_and_later_reads_use_it_alone(trail, monkeypatch):
    said = Said()
    from_notebooks = load_run(str(trail), RUN_ID, said=said)
    assert (trail / RUN_ID / RECORD).exists() and said == Said()
    monkeypatch.setattr(run_folder, "read_notebook", lambda uri: pytest.fail(f"read {uri}"))
    assert load_run(str(trail), RUN_ID) == from_notebooks


def test_a_record_is_not_used_once_a_file_it_was_built_from_changed(trail):
    load_run(str(trail), RUN_ID)
    manifest = trail / RUN_ID / "manifest.json"
    changed = json.loads(manifest.read_text()) | {"error": "edited after the run"}
    manifest.write_text(json.dumps(changed))
    said = Said()
    assert load_run(str(trail), RUN_ID, said=said)["manifest"]["error"] == "edited after the run"
    assert said == Said()  # a stale record is no fault: read again, and saved again
    files = storage.folder_tags(str(trail / RUN_ID))
    assert read_record(str(trail), RUN_ID, files)[0]["manifest"]["error"] == "edited after the run"


def test_a_copy_of_the_trail_that_keeps_sizes_and_times_is_read_again_once(trail):
    """A copy that keeps times (cp -p, rsync -t) cannot be told from a file rewritten and its time set
    back: its records are stale, read again from the notebooks once, and then current."""
    load_run(str(trail), RUN_ID)
    copy = trail.parent / "copy"
    copy.mkdir()
    os.system(f"cp -rp {trail / RUN_ID} {copy}")  # noqa: S605
    files = storage.folder_tags(str(copy / RUN_ID))
    assert read_record(str(copy), RUN_ID, files)[1] == "stale"
    load_run(str(copy), RUN_ID)
    assert read_record(str(copy), RUN_ID, storage.folder_tags(str(copy / RUN_ID)))[1] == ""


def _same_size_edit(path: Path) -> None:
    """Another content of the same size, written over the file in place (a later time)."""
    before, text = path.stat(), path.read_text()
    edited = text.replace("zebra_rule", "zebra_rulf") if "zebra_rule" in text else text.replace("1", "2", 1)
    assert len(edited) == len(text) and edited != text
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000))


def _renamed_over(path: Path) -> None:
    """The same bytes put in its place by a rename, as rsync, tar and editors do, times kept."""
    before = path.stat()
    aside = path.with_name(".aside")
    aside.write_bytes(path.read_bytes())
    os.utime(aside, ns=(before.st_atime_ns, before.st_mtime_ns))
    aside.rename(path)


CHANGES = {
    "rewritten, same size": _same_size_edit,
    "replaced by a rename": _renamed_over,
    "removed": Path.unlink,
    "a file added beside it": lambda path: path.with_name("notes.txt").write_text("x"),
}


@settings(max_examples=30, deadline=None)
@given(
    change=st.sampled_from(sorted(CHANGES)), name=st.sampled_from(["manifest.json", "03_alert_check.ipynb"])
)
def test_a_record_is_never_used_once_any_file_of_its_folder_changed(change, name):
    """Whatever befell a file of the folder since the record was built, even with its size and times as
    they were, the record is not used and `audit` says what the notebooks say now."""
    with tempfile.TemporaryDirectory() as where:
        trail = Path(where)
        folder = write_run(trail, hand_built_run(RUN_ID))
        load_run(str(trail), RUN_ID)  # the record, current
        assert read_record(str(trail), RUN_ID, storage.folder_tags(str(folder)))[1] == ""
        CHANGES[change](folder / name)
        assert read_record(str(trail), RUN_ID, storage.folder_tags(str(folder)))[0] is None
        said = audit_json(trail)
        (folder / RECORD).unlink()
        assert said == audit_json(trail)


def test_a_hard_link_backup_of_the_trail_leaves_its_records_current(trail, tmp_path):
    """`cp -al` and `rsync --link-dest` change every file's change time, not its content: the records
    stay in use (else every audit and report after a nightly backup would read every notebook again)."""
    load_run(str(trail), RUN_ID)
    backup = tmp_path / "backup"
    os.system(f"cp -al {trail} {backup}")  # noqa: S605
    assert read_record(str(trail), RUN_ID, storage.folder_tags(str(trail / RUN_ID)))[1] == ""


def test_a_running_run_gets_no_record(trail):
    manifest = trail / RUN_ID / "manifest.json"
    manifest.write_text(
        json.dumps(json.loads(manifest.read_text()) | {"status": "running", "host": "elsewhere"})
    )
    load_run(str(trail), RUN_ID)
    assert not (trail / RUN_ID / RECORD).exists()


def test_the_runner_saves_the_record_at_the_end_and_a_failure_to_is_only_a_warning(trail, caplog):
    save_record(str(trail / RUN_ID))
    files = storage.folder_tags(str(trail / RUN_ID))
    assert read_record(str(trail), RUN_ID, files)[0] == read_run_folder(str(trail), RUN_ID, files)
    save_record(str(trail / "20261128T110713.999999Z"))  # no such folder: said, not raised
    assert "compact record was not saved" in caplog.text


def test_no_record_is_written_through_a_run_folder_that_links_out_of_the_trail(trail, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (trail / RUN_ID).rename(elsewhere)
    (trail / RUN_ID).symlink_to(elsewhere)
    run = read_run_folder(str(trail), RUN_ID)
    with pytest.raises(OutsideTrail):
        write_record(str(trail), RUN_ID, run, storage.folder_tags(str(trail / RUN_ID)))
    said = Said()
    load_run(str(trail), RUN_ID, said=said)
    assert not (elsewhere / RECORD).exists() and said.unsaved


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
RUN_KEYS = st.sampled_from(["manifest", "notebooks", "not_read"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=JSON, where=st.sampled_from(["record", "run", "run key", "sources"]), key=RUN_KEYS)
def test_what_audit_says_never_depends_on_the_record(trail, junk, where, key):
    """Whatever a record.json holds, `audit` never raises; one not of the package's form, or stale, is
    not used, and `audit` says what the notebooks say (a well-formed record is trusted as the notebooks
    are: both are the runner's, in the same folder)."""
    (trail / RUN_ID / RECORD).unlink(missing_ok=True)
    truth = audit_json(trail)
    record = json.loads((trail / RUN_ID / RECORD).read_text())
    if where == "record":
        record = junk
    elif where == "run":
        record["run"] = junk
    elif where == "run key":
        record["run"][key] = junk
    else:
        record["sources"] = junk
    (trail / RUN_ID / RECORD).write_text(json.dumps(record))
    files = storage.folder_tags(str(trail / RUN_ID))
    used, why = read_record(str(trail), RUN_ID, files)
    said = audit_json(trail)  # never raises, whatever the record holds
    if used is None:
        assert said == truth, why


def test_a_record_whose_facts_are_not_of_the_packages_form_is_said_and_the_notebooks_read(trail):
    truth = audit_json(trail)
    record = json.loads((trail / RUN_ID / RECORD).read_text())
    name = next(iter(record["run"]["notebooks"]))
    record["run"]["notebooks"][name]["facts"]["alerts"] = [{"rule": 3}]
    (trail / RUN_ID / RECORD).write_text(json.dumps(record))
    said = Said()
    load_run(str(trail), RUN_ID, said=said)
    assert said.not_read == [
        f"not read: {RUN_ID}/record.json: the facts of {name} are not of the package's form; "
        "the run was read from its notebooks instead"
    ]
    assert audit_json(trail) == truth


def test_a_record_that_cannot_be_read_is_said_and_the_notebooks_read(trail, monkeypatch):
    """A record another user's umask left unreadable, or S3 refusing its GET: `audit` goes on."""
    truth = load_run(str(trail), RUN_ID)

    def refused(uri):
        raise versioned.StorageError(f"{uri}: cannot read") from PermissionError(13, "Permission denied")

    monkeypatch.setattr(versioned, "read", refused)
    said = Said()
    assert load_run(str(trail), RUN_ID, said=said) == truth
    assert said.not_read == [
        f"not read: {RUN_ID}/record.json: cannot be read (Permission denied); "
        "the run was read from its notebooks instead"
    ]


def test_a_notebook_that_cannot_be_read_is_said_and_no_record_is_built_without_it(trail, monkeypatch):
    """A notebook unreadable now (permissions, S3 refusing) is said; the run gets no record, so that
    once the notebook can be read, it is."""
    (trail / RUN_ID / RECORD).unlink(missing_ok=True)
    read = run_folder.read_notebook

    def refused(uri):
        if str(uri).endswith("03_alert_check.ipynb"):
            raise PermissionError(13, "Permission denied")
        return read(uri)

    monkeypatch.setattr(run_folder, "read_notebook", refused)
    said = Said()
    run = load_run(str(trail), RUN_ID, said=said)
    assert f"not read: {RUN_ID}/03_alert_check.ipynb: cannot be read (Permission denied)" in run["not_read"]
    assert not (trail / RUN_ID / RECORD).exists()
    save_record(str(trail / RUN_ID))
    assert not (trail / RUN_ID / RECORD).exists()
    assert json.loads(render(Trail(str(trail), check=False), "json"))["runs"]  # audit goes on


def test_a_manifest_that_cannot_be_read_leaves_its_run_not_read_and_audit_goes_on(trail, monkeypatch):
    (trail / RUN_ID / RECORD).unlink(missing_ok=True)
    monkeypatch.setattr(storage, "read_text", lambda uri: (_ for _ in ()).throw(FileNotFoundError(2, "gone")))
    runs = Trail(str(trail), check=False)
    assert json.loads(render(runs, "json", not_read=runs.not_read))["not_read"] == [
        f"not read: {RUN_ID}: its manifest.json cannot be read (gone)"
    ]


def test_a_record_that_is_a_link_is_not_followed_and_is_replaced_not_written_through(trail, tmp_path):
    load_run(str(trail), RUN_ID)
    elsewhere = tmp_path / "elsewhere.json"
    (trail / RUN_ID / RECORD).rename(elsewhere)
    kept = elsewhere.read_bytes()
    (trail / RUN_ID / RECORD).symlink_to(elsewhere)
    said = Said()
    load_run(str(trail), RUN_ID, said=said)
    assert said.not_read == [
        f"not read: {RUN_ID}/record.json: a symbolic link; not followed; the run was read from its notebooks instead"
    ]
    assert elsewhere.read_bytes() == kept and not (trail / RUN_ID / RECORD).is_symlink()


def test_audit_of_one_run_says_a_record_not_used_as_audit_of_all_does(trail, capsys):
    """`audit --run` reads the run as `audit` does, and says the same of its record."""
    from backlog_alerts.run.cli import main

    (trail / RUN_ID / RECORD).write_text("junk")
    assert main(["audit", "--output-dir", str(trail), "--run", RUN_ID]) == 0
    assert f"not read: {RUN_ID}/record.json: not JSON" in capsys.readouterr().err
    assert json.loads((trail / RUN_ID / RECORD).read_text())["run_id"] == RUN_ID  # and rebuilt it


def test_the_ops_notice_of_a_failed_run_leaves_its_record_current(tmp_path):
    """A failed or refused run's manifest is written once more after its end, with the notice sent to
    the ops topic: its record is saved again, not left stale for the first `audit` to rebuild."""
    folder = tmp_path / RUN_ID
    folder.mkdir()
    manifest = Manifest(RUN_ID, str(folder), "/srv/params/city.yaml", "0" * 64)
    manifest.finish(FAILED, "", "boom")
    manifest.add_ops_notice({"kind": "failure", "topic": "ops", "message_id": "m-9", "sent_at": "t"})
    run, why = read_record(str(tmp_path), RUN_ID, storage.folder_tags(str(folder)))
    assert why == "" and run["manifest"]["ops_notices"][0]["message_id"] == "m-9"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.text(max_size=40))
def test_no_line_a_record_holds_reaches_the_terminal_with_anything_hidden(trail, line):
    """`audit` prints a run's not-read lines as they are: a record's are used only if they are such
    lines, nothing hidden in them (a terminal escape planted in a record would act on the auditor's
    terminal)."""
    load_run(str(trail), RUN_ID)
    record = json.loads((trail / RUN_ID / RECORD).read_text())
    record["run"]["not_read"] = [f"not read: {line}"]
    record["sources"] = record_sources(storage.folder_tags(str(trail / RUN_ID)))  # current
    (trail / RUN_ID / RECORD).write_text(json.dumps(record))
    runs = Trail(str(trail), check=False)
    list(runs)
    assert all(visible(said, lines=False) == said for said in runs.not_read)
