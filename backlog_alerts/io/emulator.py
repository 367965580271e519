"""The embedded AWS: a moto server on 127.0.0.1, reached by boto3 over HTTP like real AWS."""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Only for the emulator: it accepts any key, and these never reach real AWS.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
DEFAULT_REGION = "us-east-1"


class OneAtATime:
    """WSGI middleware that lets one request at a time into `app`: moto's backends are not thread-safe
    (concurrent Subscribe calls on a large topic fail with HTTP 500, OrderedDict mutated during iteration)."""

    def __init__(self, app: WSGIApplication):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self.lock:  # the body is read inside the lock too: moto may build it lazily
            body = self.app(environ, start_response)
            try:
                return list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()


@contextmanager
def moto_server(port: int = 0) -> Iterator[str]:
    """Run a moto server on loopback, on a free port by default (moto's own default binds 0.0.0.0).

    Built as moto's ThreadedMotoServer builds it, but serving one AWS request at a time, so that the
    sync's concurrent workers cannot corrupt moto's state.
    """
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call
    dispatcher = DomainDispatcherApplication(create_backend_app)
    # Which backend serves a host never changes, but moto lists its own package folder to find out, on
    # every request (~150 stat calls, 40 % of a Subscribe's CPU on this side): remembered per host.
    remember = functools.lru_cache(maxsize=256)
    dispatcher.get_backend_for_host = remember(dispatcher.get_backend_for_host)  # type: ignore[method-assign]
    app = OneAtATime(dispatcher)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def emulator_environ(endpoint: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment that points boto3 at `endpoint` with dummy credentials."""
    env = dict(os.environ if environ is None else environ)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env.update(EMULATOR_ENV, AWS_ENDPOINT_URL=endpoint)
    env.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    return env


@contextmanager
def local_aws() -> Iterator[tuple[str, bool]]:
    """Use AWS_ENDPOINT_URL if it is set, else start our own emulator; yields (endpoint, started)."""
    existing = os.environ.get("AWS_ENDPOINT_URL")
    if existing:
        yield existing, False
        return
    with moto_server() as endpoint:
        yield endpoint, True


@contextmanager
def patched_environ(env: dict[str, str]) -> Iterator[None]:
    """Make `env` this process's environment for a while (boto3 and child processes read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def published_messages(endpoint: str) -> list[dict[str, str]]:
    """Every message moto recorded as published to a topic, from its `/moto-api/data.json`."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as response:
        data = json.load(response)
    seen: dict[str, dict[str, str]] = {}
    for topic in data.get("sns", {}).get("Topic", []):
        for message_id, message, subject, *_ in topic.get("sent_notifications", []):
            seen[message_id] = {
                "topic": topic["name"],
                "message_id": message_id,
                "subject": subject or "",
                "message": message,
            }
    return list(seen.values())


def channel_texts(message: str) -> dict[str, str]:
    """The per-channel texts of a MessageStructure=json publish (or the one plain text)."""
    try:
        structured = json.loads(message)
    except ValueError:
        return {"text": message}
    if not isinstance(structured, dict):
        return {"text": message}
    return {channel: structured[channel] for channel in ("sms", "email") if channel in structured} or {
        "text": structured.get("default", message)
    }
