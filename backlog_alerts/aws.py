"""boto3 clients built the same way everywhere: standard credential chain, endpoint and retries."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

TARGETS = ("local", "aws")


class TargetError(RuntimeError):
    """Raised when a notebook is asked to run somewhere it must not (e.g. local demo on real AWS)."""


def check_target(target: str) -> str:
    """Refuse to run the local demo against real AWS: local needs AWS_ENDPOINT_URL to be set."""
    if target not in TARGETS:
        raise TargetError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if target == "local" and not endpoint:
        raise TargetError(
            "target is 'local' but AWS_ENDPOINT_URL is not set: start the emulator with "
            "`backlog-alerts emulator` (or `make lab`), or set target to 'aws' for real AWS"
        )
    return endpoint or "AWS (standard endpoints)"


def client(service: str, region: str | None = None, max_attempts: int = 5) -> Any:
    """A boto3 client using botocore's standard retry mode; endpoint comes from AWS_ENDPOINT_URL."""
    config = Config(retries={"mode": "standard", "max_attempts": max_attempts})
    return boto3.session.Session().client(service, region_name=region or None, config=config)
