"""Local or s3:// storage: one answer to "is it missing?" and one way to replace a file whole."""

import os

import pytest
from botocore.exceptions import ClientError

from backlog_alerts.errors import SourceError
from backlog_alerts.io import storage


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")


@pytest.mark.parametrize(
    ("code", "absent"),
    [("NoSuchKey", "object"), ("404", "object"), ("NoSuchBucket", "bucket"), ("AccessDenied", ""), ("", "")],
)
def test_s3_errors_say_what_is_absent(code, absent):
    assert storage.missing(client_error(code)) == absent


def test_an_s3_uri_must_name_an_object():
    assert storage.split_s3_uri("s3://bucket/a/b.csv") == ("bucket", "a/b.csv")
    for uri in ("s3://bucket", "s3://bucket/", "s3:///key"):
        with pytest.raises(SourceError, match="must look like s3://bucket/key"):
            storage.split_s3_uri(uri)


def test_a_replaced_file_is_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "deeper" / "state.json"
    storage.replace_file(path, "first")
    storage.replace_file(path, "second")
    assert path.read_text() == "second"
    assert os.listdir(path.parent) == ["state.json"]


def test_a_failed_write_keeps_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    storage.replace_file(path, "kept")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        storage.replace_file(path, "lost")
    assert path.read_text() == "kept"
    assert os.listdir(tmp_path) == ["state.json"]


def test_json_documents_are_written_through_the_same_replace(tmp_path):
    uri = str(tmp_path / "run" / "manifest.json")
    storage.write_json(uri, {"b": 1, "a": [1, 2]})
    assert storage.read_json(uri) == {"a": [1, 2], "b": 1}
    assert sorted(os.listdir(tmp_path / "run")) == ["manifest.json"]
