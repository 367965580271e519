"""The canary check: after every integration test, nothing we wrote shows a test contact unmasked.

Scanned: the files under the test's tmp_path that we write (notebooks, manifests, state, logs, HTML),
`audit` in every format and the `report` site of each trail left there, the stdout and stderr of every
`run_cli` call, and, where the test used the emulator, every message published to a topic and every
object in its buckets but the inputs (CSV). Not scanned: inputs, and SNS subscriptions (a director's
alert goes to their address). See docs/development.md.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from helpers import (
    ARTIFACT_SUFFIXES,
    CLI_CALLS,
    artifact_texts,
    audit_and_report_texts,
    canary_leaks,
    canary_pattern,
    trail_folders,
)

from backlog_alerts.io.emulator import emulator_environ, published_messages


@functools.cache
def _module_pattern(module_file: str):
    return canary_pattern(Path(module_file).read_text(encoding="utf-8"))


def _emulator_texts(endpoint: str) -> Iterator[tuple[str, str]]:
    """Messages published to any topic, and the objects we wrote to the emulator's buckets."""
    for message in published_messages(endpoint):
        yield (
            f"message {message['message_id']} to {message['topic']}",
            f"{message['subject']}\n{message['message']}",
        )
    env = emulator_environ(endpoint, {})  # the test's own environment is gone by now
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    for bucket in s3.list_buckets().get("Buckets", []):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for item in page.get("Contents", []):
                if Path(item["Key"]).suffix.lower() in ARTIFACT_SUFFIXES:
                    body = s3.get_object(Bucket=bucket["Name"], Key=item["Key"])["Body"].read()
                    yield f"s3://{bucket['Name']}/{item['Key']}", body.decode("utf-8", errors="replace")


def _texts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    for call in CLI_CALLS:
        yield f"`{' '.join(call.args[1:])}` stdout", call.stdout or ""
        yield f"`{' '.join(call.args[1:])}` stderr", call.stderr or ""
    for n, trail in enumerate(trail_folders(tmp_path)):
        yield from audit_and_report_texts(trail, tmp_path / f"canary-site-{n}")
    yield from artifact_texts(tmp_path)
    if "aws_endpoint" in request.fixturenames:
        yield from _emulator_texts(request.getfixturevalue("moto_endpoint"))


@pytest.fixture(autouse=True)
def canary(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Fail the test if any canary contact shows unmasked in what it left (runs after the test)."""
    CLI_CALLS.clear()
    yield
    pattern = _module_pattern(inspect.getfile(request.module))
    leaks = [
        f"{where}: ...{leak}..."
        for where, text in _texts(request, tmp_path)
        for leak in canary_leaks(text, pattern)
    ]
    CLI_CALLS.clear()
    assert not leaks, "unmasked contacts in what the test left:\n" + "\n".join(leaks[:20])
