"""boto3 clients built the same way everywhere: standard credential chain, endpoint and retries."""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal, get_args

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import read_only

Target = Literal["local", "aws"]  # the emulator at AWS_ENDPOINT_URL, or real AWS
TARGETS = get_args(Target)


class TargetError(BacklogAlertsError, RuntimeError):
    """Raised when a notebook is asked to run somewhere it must not (e.g. local demo on real AWS)."""


# A call that failed after botocore's retries: an AWS error, no answer at all, or an unreadable one.
CALL_ERRORS = (ClientError, BotoCoreError, ResponseParserError)


def error_code(err: BaseException) -> str:
    """The code AWS answered with (`NoSuchKey`, `Throttling`), or "" for a failure without one."""
    return str(err.response.get("Error", {}).get("Code", "")) if isinstance(err, ClientError) else ""


def missing(err: ClientError) -> str:
    """What an S3 error says is absent: "object", "bucket", or "" when it is another failure."""
    code = error_code(err)
    return "object" if code in ("NoSuchKey", "404") else "bucket" if code == "NoSuchBucket" else ""


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


RetryMode = Literal["standard", "adaptive"]  # botocore's retry modes
RETRY_MODES = get_args(RetryMode)
DEFAULT_MODE, DEFAULT_MAX_ATTEMPTS = "standard", "5"  # 5 attempts: the first and 4 retries


def retry_environ(mode: str, max_attempts: int) -> dict[str, str]:
    """botocore's own variables for its retry mode, checked, for the runner to hand to every notebook."""
    if mode not in RETRY_MODES:
        raise ValueError(f"aws_retry_mode must be one of {', '.join(RETRY_MODES)}, not {mode!r}")
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ValueError(f"aws_max_attempts must be a whole number >= 1, not {max_attempts!r}")
    return {"AWS_RETRY_MODE": mode, "AWS_MAX_ATTEMPTS": str(max_attempts)}


@functools.cache
def _models() -> botocore.loaders.Loader:
    """botocore's loader of service models, shared by every session: each new one would parse the same
    JSON again, about 0.1 s a client."""
    return botocore.loaders.create_loader()


_clients = threading.local()  # this thread's clients, by what makes each


def client(
    service: str, region: str | None = None, *, max_attempts: int | None = None, shared: bool = False
) -> Any:
    """A boto3 client with botocore's retry mode (standard unless AWS_RETRY_MODE / AWS_MAX_ATTEMPTS say
    otherwise); the endpoint comes from AWS_ENDPOINT_URL, credentials from the standard chain.
    `max_attempts=1` is for a probe whose failure only means "not known".

    A session of its own each time (sessions are not thread-safe, and the environment is read afresh),
    which costs about 10 ms. `shared`: this thread's client for the same AWS_* environment, made once,
    for the many small reads and writes of files and locks (`storage`); never one a caller adds event
    hooks to (pacing, counting calls).
    """
    key = (
        service,
        region,
        max_attempts,
        tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))),
    )
    made: dict[Any, Any] = _clients.__dict__.setdefault("made", {})
    if shared and key in made:
        return made[key]
    retries = {
        "mode": os.environ.get("AWS_RETRY_MODE", DEFAULT_MODE),
        "total_max_attempts": max_attempts or int(os.environ.get("AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
    }
    session = botocore.session.get_session()
    session.register_component("data_loader", _models())
    new = boto3.session.Session(botocore_session=session).client(
        service, region_name=region or None, config=Config(retries=retries)
    )
    read_only.guard(new)  # in a dry run, refuses any call that would change AWS
    if shared:
        made[key] = new
    return new


# SNS's documented per-account rates (transactions per second) for the calls the sync makes.
SNS_RATES = {
    "Subscribe": 100,
    "Unsubscribe": 100,
    "ListSubscriptionsByTopic": 30,
    "GetSubscriptionAttributes": 100,
    "SetSubscriptionAttributes": 100,
}


class _Pacer:
    """Spaces calls at least 1/rate apart, across threads, so we stay under a documented rate."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self.lock = threading.Lock()
        self.next_at = 0.0

    def __call__(self, **_: Any) -> None:
        with self.lock:
            now = time.monotonic()
            wait = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if wait > 0:
            time.sleep(wait)


def pace(client: Any, rates: dict[str, float]) -> Any:
    """Hold each named operation of `client` to its rate; throttling beyond that is botocore's retry."""
    service = client.meta.service_model.service_id.hyphenize()
    for operation, per_second in rates.items():
        client.meta.events.register(f"before-call.{service}.{operation}", _Pacer(per_second))
    return client


@dataclass(frozen=True)
class CallPolicy:
    """How the sync calls SNS on a target: with how many workers, and paced at SNS_RATES or not."""

    workers: int
    paced: bool


# Real AWS: 8 workers paced below its documented rates. The emulator has no rates to respect, and moto's
# SNS backend is not thread-safe (a moto server we did not start serves calls concurrently): one at a time.
CALL_POLICIES: dict[Target, CallPolicy] = {
    "aws": CallPolicy(workers=8, paced=True),
    "local": CallPolicy(workers=1, paced=False),
}


def call_policy(target: Target) -> CallPolicy:
    """The sync's workers and pacing on `target` (one of TARGETS, as check_target has made sure)."""
    return CALL_POLICIES[target]


def count_calls(client: Any) -> Counter[str]:
    """A live count of API calls by operation (one per call, retries not counted)."""
    counts: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    client.meta.events.register("before-call", count)
    return counts
