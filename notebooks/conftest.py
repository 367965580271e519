"""For `pytest --nbval-lax notebooks/`: an emulator up, seeded, and in the environment before any kernel.

nbval starts a notebook's kernel while collecting it, before fixtures run, so this uses session hooks.
An emulator the caller started (AWS_ENDPOINT_URL already set) is used instead, and seeded too.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

from backlog_alerts.io import aws, emulator
from backlog_alerts.io.demo import seed_demo

_stack = ExitStack()


def pytest_sessionstart(session) -> None:
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or _stack.enter_context(emulator.moto_server())
    os.environ.update(emulator.emulator_environ(endpoint))
    seed_demo(aws.client("s3"))


def pytest_sessionfinish(session, exitstatus) -> None:
    _stack.close()
