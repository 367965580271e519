"""Benchmark: wall time of a first sync (every contact new) at scale, on our embedded emulator and on a
plain moto ThreadedMotoServer, with the local call policy (one worker, unpaced) and with 8 workers.

Each run starts from an empty emulator and makes 2 Subscribe calls per contact (email and phone); the
table gives its seconds and how many changes failed. Server and client share this process, as in the
tests. Usage: python bench/first_run_scale.py [--sizes 2000,10000] [--workers 1,8]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from moto.server import ThreadedMotoServer
from sync_calls import DEPARTMENTS, contacts

from backlog_alerts.io import aws, emulator
from backlog_alerts.sync.plan import apply_plan, plan_sync
from backlog_alerts.sync.subscriptions import list_subscriptions, wanted_subscriptions
from backlog_alerts.sync.topics import ensure_topics


@contextmanager
def plain_moto_server() -> Iterator[str]:
    """moto's own ThreadedMotoServer, as a user may run it: it serves requests concurrently."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


SERVERS: dict[str, Callable[[], AbstractContextManager[str]]] = {
    "embedded": emulator.moto_server,
    "plain": plain_moto_server,
}


def first_run(endpoint: str, n: int, workers: int) -> tuple[float, int]:
    """Seconds of a first sync of n contacts onto empty topics (list, plan, apply), and its failed changes."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    os.environ.update(emulator.emulator_environ(endpoint))
    sns = aws.client("sns", "us-east-1")  # unpaced, as aws.call_policy("local") says
    topics = {t.department: t for t in ensure_topics(sns, DEPARTMENTS)}
    started = time.perf_counter()
    existing = {d: list_subscriptions(sns, t.arn) for d, t in topics.items()}
    outcome = apply_plan(sns, plan_sync(topics, wanted_subscriptions(contacts(n), topics), existing), workers)
    seconds = time.perf_counter() - started
    return seconds, sum(1 for c in outcome if c.result.startswith("failed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,10000", help="contact counts (default: %(default)s)")
    parser.add_argument(
        "--workers",
        default=f"{aws.call_policy('local').workers},8",
        help="worker counts (default: %(default)s)",
    )
    args = parser.parse_args()
    logging.getLogger("werkzeug").disabled = True  # the plain server's 500s are counted in the table instead
    print(f"{'contacts':>8} {'server':<9} {'workers':>7} {'seconds':>8} {'failed':>6}")
    for n in [int(s) for s in args.sizes.split(",")]:
        for workers in [int(w) for w in args.workers.split(",")]:
            for name, server in SERVERS.items():
                with server() as endpoint:
                    seconds, failed = first_run(endpoint, n, workers)
                print(f"{n:>8} {name:<9} {workers:>7} {seconds:>8.1f} {failed:>6}", flush=True)


if __name__ == "__main__":
    main()
