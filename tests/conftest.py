"""Shared fixtures: a moto server over HTTP for integration tests, and the real 311 files."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from backlog_alerts.io import emulator
from backlog_alerts.io.sources import Source

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto server on loopback for the whole session; tests reset it before use."""
    with emulator.moto_server() as endpoint:
        yield endpoint


def reset_emulator(endpoint: str) -> None:
    """Forget every bucket, topic and subscription: each test starts from an empty AWS."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()


@pytest.fixture
def aws_endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A freshly reset emulator, with this process's boto3 pointed at it."""
    reset_emulator(moto_endpoint)
    for name, value in emulator.emulator_environ(moto_endpoint, {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture
def sns(aws_endpoint: str):
    return boto3.client("sns", region_name="us-east-1")


@pytest.fixture
def s3(aws_endpoint: str):
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def sqs(aws_endpoint: str):
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def real_file():
    """Path of a real public 311 file from ../shared/data/real/ (skips if the folder is absent)."""

    def find(relative: str) -> Path:
        path = REAL_DATA / relative
        if not path.exists():
            pytest.skip(f"real data file {path} not available")
        return path

    return find


# Two tiers on one service, as several tests need them: warning above 100, critical above 200.
POTHOLE_TIERS = [
    {"name": "pothole_warn", "service_name": "Pothole", "department": "streets", "threshold": 100},
    {
        "name": "pothole_crit",
        "service_name": "Pothole",
        "department": "streets",
        "threshold": 200,
        "severity": "critical",
    },
]


def text_source(text: str, uri: str = "test.csv") -> Source:
    """An in-memory input file, decoded the way read_source decodes real ones."""
    data = text.encode("utf-8")
    return Source(uri=uri, text=data.decode("utf-8-sig"), etag="", sha256="")


def clean_env() -> dict[str, str]:
    """This process's environment without any AWS settings, for subprocess runs."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
