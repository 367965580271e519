"""Seeded, reproducible AWS faults between boto3 and the server, for tests only.

A botocore `before-send` handler answers a share of chosen calls itself, before anything reaches the
server: Throttling, a 500, a 503, or a dropped connection. These are faults where AWS did nothing,
so a retried call must end exactly as a fault-free one. Permanent faults (AuthorizationError,
endpoint down) fail every matching call. Whether attempt n of a given request fails depends only on
the seed, the operation, the request and n, so thread scheduling cannot change the outcome.

With a `log`, every attempt is recorded with the IAM requests that AWS would authorize for it (`iam`:
action, resource ARN and the condition keys the policy may test), for tests/integration/test_iam_operations.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

ENV = "BACKLOG_ALERTS_FAULTS"  # JSON spec; set, it makes sitecustomize.py install the injector
# Parts of a request that differ between runs of the same work: run ids, and the ids in ARNs.
_VOLATILE = re.compile(r"\d{8}T\d{6}\.\d{6}Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TRANSIENT = ("throttling", "internal_error", "unavailable", "dropped_connection")
# The emulator's account (moto's default), in the ARN of a topic that CreateTopic names only by name.
EMULATOR_ACCOUNT = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
# botocore operation -> the IAM action that authorizes it, where the names differ.
_S3_ACTIONS = {"ListObjectsV2": "ListBucket", "HeadObject": "GetObject", "DeleteObjects": "DeleteObject"}

_SNS_ERROR = (
    "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
    "<RequestId>injected-fault</RequestId></ErrorResponse>"
)
_S3_ERROR = "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>injected</RequestId></Error>"
# (status, SNS code, S3 code) of each answered fault.
_ANSWERS = {
    "throttling": (400, "Throttling", "SlowDown"),
    "internal_error": (500, "InternalError", "InternalError"),
    "unavailable": (503, "ServiceUnavailable", "ServiceUnavailable"),
    "access_denied": (403, "AuthorizationError", "AccessDenied"),
}


class _Body:
    """The `raw` of an AWSResponse: something with a stream() of bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_: Any):
        yield self.data


def _roll(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class FaultInjector:
    """rate: share of attempts of `operations` that fail; permanent: [{operation, match, kind}]."""

    rate: float = 0.0
    seed: int = 0
    operations: tuple[str, ...] = ()
    permanent: list[dict[str, str]] = field(default_factory=list)
    log: str = ""
    _attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        service, operation = event_name.split(".")[1:3]
        body = request.body if isinstance(request.body, bytes | str) else b""
        body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        where = urlsplit(request.url)  # not the host: the emulator's port differs between runs
        call = f"{operation}|{where.path}?{where.query}|{_VOLATILE.sub('<id>', body)}"  # same call, any run
        key = hashlib.sha256(call.encode()).hexdigest()[:16]
        with self._lock:
            self._attempts[key] += 1
            attempt = self._attempts[key]
        kind = self._permanent(operation, request.url, body)
        if kind is None and operation in self.operations and _roll(self.seed, key, attempt) < self.rate:
            kind = TRANSIENT[int(_roll(self.seed, key, attempt, "kind") * len(TRANSIENT))]
        self._record(operation, kind or "", attempt, key, (request.context or {}).get("iam", []))
        if kind is None:
            return None
        if kind == "dropped_connection":
            raise ConnectionClosedError(endpoint_url=request.url)
        if kind == "endpoint_down":
            raise EndpointConnectionError(endpoint_url=request.url)
        status, sns_code, s3_code = _ANSWERS[kind]
        message = f"injected {kind}"
        text = (
            _S3_ERROR.format(code=s3_code, message=message)
            if service == "s3"
            else _SNS_ERROR.format(
                kind="Sender" if status < 500 else "Receiver", code=sns_code, message=message
            )
        )
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Body(text.encode()))

    def _permanent(self, operation: str, url: str, body: str) -> str | None:
        for fault in self.permanent:
            if fault["operation"] == operation and fault.get("match", "") in f"{url} {body}":
                return fault["kind"]
        return None

    def _record(self, operation: str, kind: str, attempt: int, key: str, iam: list[dict[str, Any]]) -> None:
        """Every attempt goes to the log; `kind` is empty when it went through untouched."""
        if self.log:
            line = json.dumps(
                {
                    "pid": os.getpid(),
                    "operation": operation,
                    "kind": kind,
                    "attempt": attempt,
                    "call": key,
                    "iam": iam,
                }
            )
            with open(self.log, "a", encoding="utf-8") as out:
                out.write(line + "\n")

    def install(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build", remember_iam_requests)
        client.meta.events.register("before-send", self)
        return client


def remember_iam_requests(params: Any, model: Any, context: Any, event_name: str, **_: Any) -> None:
    """Keep, in the request's context (which `before-send` sees), what IAM authorizes for this call."""
    service = event_name.split(".")[1]
    region = context.get("client_region") or ""
    context["iam"] = iam_requests(service, model.name, params, region)


def iam_requests(service: str, operation: str, params: dict[str, Any], region: str) -> list[dict[str, Any]]:
    """The (action, resource, condition keys) that IAM checks for one call: SNS on the topic or the
    subscription it names (a topic being created by the ARN it will have), S3 on the object, or on the
    bucket with `s3:prefix` for a listing (DeleteObjects: each object), and "*" where the API names none."""
    action = f"{service}:{_S3_ACTIONS.get(operation, operation) if service == 's3' else operation}"
    if service == "s3":
        bucket = params.get("Bucket", "")
        if operation == "ListObjectsV2":
            return [
                {
                    "action": action,
                    "resource": f"arn:aws:s3:::{bucket}",
                    "s3:prefix": params.get("Prefix", ""),
                }
            ]
        keys = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])] or [params.get("Key", "")]
        return [{"action": action, "resource": f"arn:aws:s3:::{bucket}/{key}"} for key in keys]
    if service == "sns":
        if operation == "CreateTopic":
            return [
                {"action": action, "resource": f"arn:aws:sns:{region}:{EMULATOR_ACCOUNT}:{params['Name']}"}
            ]
        for name in ("SubscriptionArn", "TopicArn", "ResourceArn"):
            if params.get(name):
                return [{"action": action, "resource": params[name]}]
    return [{"action": action, "resource": "*"}]


@dataclass
class Crash:
    """SIGKILL to the whole run, from inside the kernel that publishes, at an exact moment: right after
    SNS took the `nth` alert (before the state records it: the one window for a repeat), or right after
    the state recorded it (before the topic's mark and the next alert)."""

    moment: str  # "publish" | "state-save"
    nth: int
    _published: int = 0

    def __call__(self, event_name: str, http_response: Any = None, parsed: Any = None, **kwargs: Any) -> None:
        operation = event_name.split(".")[2]
        params = kwargs.get("context", {}).get("crash_params", {})
        if http_response is None or http_response.status_code >= 300 or not in_a_kernel():
            return
        if operation == "Publish" and str(params.get("TopicArn", "")).endswith("_notifications"):
            self._published += 1
            if self.moment == "publish" and self._published == self.nth:
                kill_run()
        is_state = operation == "PutObject" and str(params.get("Key", "")).endswith("alert_state.json")
        if is_state and self.moment == "state-save" and self._published == self.nth:
            kill_run()

    def remember(self, params: Any, context: Any, **_: Any) -> None:
        context["crash_params"] = params


def kill_run() -> None:
    """The runner (this kernel's parent), the other kernels it started, then this kernel: nothing of
    the run may finish what it was doing."""
    import signal

    runner = os.getppid()
    for pid in children(runner):
        if pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
    os.kill(runner, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat", encoding="utf-8") as text:
                    if int(text.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(stat))
            except (OSError, ValueError, IndexError):
                continue
    return found


def spec(
    rate: float = 0.0, seed: int = 0, operations=(), permanent=(), log: str = "", crash: tuple | None = None
) -> str:
    """The JSON that BACKLOG_ALERTS_FAULTS carries to every process of a run; `crash` is (moment, nth)."""
    return json.dumps(
        {
            "rate": rate,
            "seed": seed,
            "operations": list(operations),
            "permanent": list(permanent),
            "log": log,
            "crash": list(crash) if crash else None,
        }
    )


def install_everywhere(raw: str) -> None:
    """Give every botocore client this process creates the injector described by `raw`."""
    import botocore.client

    settings = json.loads(raw)
    injector = FaultInjector(
        rate=settings["rate"],
        seed=settings["seed"],
        operations=tuple(settings["operations"]),
        permanent=settings["permanent"],
        log=settings["log"],
    )
    crash = Crash(*settings["crash"]) if settings.get("crash") else None
    create = botocore.client.ClientCreator.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = injector.install(create(self, *args, **kwargs))
        if crash is not None:
            client.meta.events.register("before-parameter-build", crash.remember)
            client.meta.events.register("after-call", crash)
        return client

    botocore.client.ClientCreator.create_client = create_client


def in_a_kernel() -> bool:
    """A notebook's kernel (which publishes), not the runner or papermill (asked once the process runs:
    at start-up `-m ipykernel_launcher` is not in sys.argv yet)."""
    return "JUPYTER_RUNTIME_DIR" in os.environ and "ipykernel" in " ".join(sys.argv)


def read_log(path: str) -> list[dict[str, Any]]:
    """Every attempt every process of a run made, with the fault injected (`kind`, empty for none)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]
