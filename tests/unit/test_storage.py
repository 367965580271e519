"""Local or s3:// files: one answer to "is it missing?", one way to replace a file whole, and writes
and deletes only over the version read."""

import json
import os
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from backlog_alerts.errors import SourceError
from backlog_alerts.io import aws, locations, storage, versioned


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")


@pytest.mark.parametrize(
    ("code", "absent"),
    [("NoSuchKey", "object"), ("404", "object"), ("NoSuchBucket", "bucket"), ("AccessDenied", ""), ("", "")],
)
def test_s3_errors_say_what_is_absent(code, absent):
    assert aws.missing(client_error(code)) == absent


def test_an_s3_uri_must_name_an_object():
    assert locations.split_s3_uri("s3://bucket/a/b.csv") == ("bucket", "a/b.csv")
    for uri in ("s3://bucket", "s3://bucket/", "s3:///key"):
        with pytest.raises(SourceError, match="must look like s3://bucket/key"):
            locations.split_s3_uri(uri)


def test_a_replaced_file_is_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "deeper" / "state.json"
    versioned.replace_file(path, "first")
    versioned.replace_file(path, "second")
    assert path.read_text() == "second"
    assert os.listdir(path.parent) == ["state.json"]


def test_a_failed_write_keeps_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    versioned.replace_file(path, "kept")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        versioned.replace_file(path, "lost")
    assert path.read_text() == "kept"
    assert os.listdir(tmp_path) == ["state.json"]


def test_json_documents_are_written_through_the_same_replace(tmp_path):
    uri = str(tmp_path / "run" / "manifest.json")
    storage.write_json(uri, {"b": 1, "a": [1, 2]})
    assert storage.read_json(uri) == {"a": [1, 2], "b": 1}
    assert sorted(os.listdir(tmp_path / "run")) == ["manifest.json"]


def test_s3_keys_keep_hash_and_question_marks_and_file_uris_are_local_paths(tmp_path):
    assert locations.split_s3_uri("s3://b/city#1/report?v=2.csv") == ("b", "city#1/report?v=2.csv")
    assert locations.place(f"file://{tmp_path}/a%20b/x#1.json").path == tmp_path / "a b" / "x#1.json"
    assert locations.place(f"file://localhost{tmp_path}/x.json").path == tmp_path / "x.json"
    assert locations.place(f"file:{tmp_path}/x.json").path == tmp_path / "x.json"  # one slash
    with pytest.raises(SourceError, match="on another host"):
        locations.place("file://server/share/x.json")
    with pytest.raises(SourceError, match=r"cannot write to http\(s\)://"):
        versioned.write("https://example.com/state.json", b"{}")
    assert locations.normalize(f"file://{tmp_path}/trail/") == str(tmp_path / "trail")


def test_a_local_conditional_write_names_the_version_it_replaces(tmp_path):
    uri = str(tmp_path / "state.json")
    first = versioned.write(uri, b"one", expect=versioned.ABSENT)
    with pytest.raises(versioned.Conflict):
        versioned.write(uri, b"two", expect=versioned.ABSENT)  # someone made it first
    second = versioned.write(uri, b"two", expect=first)
    with pytest.raises(versioned.Conflict):
        versioned.write(uri, b"three", expect=first)  # written since that version was read
    with pytest.raises(versioned.Conflict):
        versioned.delete(uri, expect=first)
    assert versioned.read(uri) == versioned.Versioned(b"two", second)
    versioned.delete(uri, expect=second)
    assert versioned.read(uri) is None and os.listdir(tmp_path) == []


def test_a_lock_whose_holder_is_gone_is_taken_over_and_a_live_one_is_not(tmp_path):
    import subprocess

    from backlog_alerts.io import locks

    uri = str(tmp_path / ".lock")
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = {**locks.this_process(), "pid": dead.pid, "started_at": "2026-12-05T00:00:00+00:00"}
    versioned.write(uri, json.dumps(gone).encode(), expect=versioned.ABSENT)

    def busy(holder):
        return RuntimeError(f"busy: {holder.get('run_id')}")

    now = datetime.now(UTC).isoformat()
    locks.acquire(uri, {**locks.this_process(), "run_id": "mine", "started_at": now}, busy=busy)
    assert json.loads(versioned.read(uri).data)["run_id"] == "mine"
    with pytest.raises(RuntimeError, match="busy: mine"):
        locks.acquire(uri, {"run_id": "second"}, busy=busy)
    reused = {**locks.this_process(), "pid_started": "1", "run_id": "reused pid", "started_at": now}
    versioned.write(uri, json.dumps(reused).encode())  # this pid, but another process's start time
    locks.acquire(uri, {"run_id": "third", "started_at": now}, busy=busy)
    locks.release(uri)
    assert os.listdir(tmp_path) == []


def test_the_empty_lock_file_an_older_version_left_is_taken_over_and_a_symlinked_lock_is_named(tmp_path):
    from backlog_alerts.io import locks

    def busy(holder):
        return RuntimeError("busy")

    left = tmp_path / ".backlog-alerts.lock"
    left.touch()  # filelock's file, left in every output folder by the version before
    locks.acquire(str(left), {"run_id": "new"}, busy=busy)
    assert json.loads(left.read_text()) == {"run_id": "new"}
    locks.release(str(left))
    (tmp_path / "elsewhere").write_text("")
    left.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(versioned.StorageError, match=r"\.backlog-alerts\.lock: is a symbolic link"):
        locks.acquire(str(left), {"run_id": "new"}, busy=busy)
    assert (tmp_path / "elsewhere").read_text() == "", "nothing written through the link"


@pytest.mark.parametrize("relative", [True, False])
def test_a_lock_is_never_written_through_a_symbolic_link(tmp_path, monkeypatch, relative):
    """A relative location is resolved against the project (or the working folder): the lock's own
    name must not be, or a link there would carry the holder's record wherever it points."""
    from backlog_alerts.io import locks

    def busy(holder):
        return RuntimeError("busy")

    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    target = tmp_path / "victim"  # absent: a create through the link would make it
    (tmp_path / "out" / ".backlog-alerts.lock").symlink_to(target)
    uri = "out/.backlog-alerts.lock" if relative else str(tmp_path / "out" / ".backlog-alerts.lock")
    for attempt in (
        lambda: locks.acquire(uri, {"run_id": "new"}, busy=busy),
        lambda: locks.rewrite(uri, {"run_id": "new"}),
        lambda: locks.read_holder(uri),
        lambda: locks.release(uri),
    ):
        with pytest.raises(
            locks.LockIsLink, match=r"out/\.backlog-alerts\.lock: is a symbolic link; remove it"
        ):
            attempt()
    assert not target.exists(), "nothing written through the link"
    assert (tmp_path / "out" / ".backlog-alerts.lock").is_symlink(), "the link is the user's to remove"
