"""A first sync of 2,000 contacts (4,000 Subscribe calls) against moto over HTTP: no change fails.

moto's SNS backend is not thread-safe; with 8 concurrent workers on a plain threaded moto server, some
Subscribe calls fail with HTTP 500. Either the client goes one at a time (target local) or the server
does (our embedded emulator).
"""

import sys
from collections.abc import Iterator

import pytest
from helpers import directors, reset_emulator
from moto.server import ThreadedMotoServer

from backlog_alerts.io import aws, emulator
from backlog_alerts.sync.apply import apply_plan
from backlog_alerts.sync.plan import Change, plan_sync
from backlog_alerts.sync.subscriptions import list_subscriptions, wanted_subscriptions
from backlog_alerts.sync.topics import ensure_topics

# One worker runs both: each keeps a core busy with its threads, and run at once they took twice as long.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("2000-contacts")]
CONTACTS = 2000


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads every 0.1 ms, not 5: the race then shows on every unsafe run (~200 failed
    Subscribe calls of 4,000 with 8 workers on a plain server), not on one run in four."""
    default = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    yield
    sys.setswitchinterval(default)


@pytest.fixture
def plain_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's own ThreadedMotoServer, as a user may run it: it serves requests concurrently."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_emulator(endpoint)  # moto's state is per process: shared with the session's emulator
    for name, value in emulator.emulator_environ(endpoint, {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        yield endpoint
    finally:
        server.stop()


def first_sync(workers: int, paced: bool) -> tuple[list[Change], int]:
    """Sync CONTACTS new directors onto empty topics; the outcome and how many subscriptions SNS lists."""
    sns = aws.client("sns", "us-east-1")
    sns = aws.pace(sns, aws.SNS_RATES) if paced else sns
    topics = {t.department: t for t in ensure_topics(sns, {"trash": "Trash", "streets": "Streets"})}
    existing = {d: list_subscriptions(sns, t.arn) for d, t in topics.items()}
    outcome = apply_plan(
        sns, plan_sync(topics, wanted_subscriptions(directors(CONTACTS), topics), existing), workers
    )
    listed = sum(len(list_subscriptions(sns, t.arn)) for t in topics.values())
    return outcome, listed


def failures(outcome: list[Change]) -> list[str]:
    return [c.result for c in outcome if c.result.startswith("failed")]


def test_the_local_policy_fails_nothing_on_a_plain_threaded_moto_server(plain_moto):
    policy = aws.call_policy("local")
    outcome, listed = first_sync(policy.workers, policy.paced)
    assert failures(outcome) == []
    assert len(outcome) == listed == 2 * CONTACTS


def test_our_emulator_serves_eight_workers_without_a_failure(aws_endpoint):
    outcome, listed = first_sync(workers=8, paced=False)
    assert failures(outcome) == []
    assert len(outcome) == listed == 2 * CONTACTS
