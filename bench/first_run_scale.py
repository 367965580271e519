"""Benchmark: wall time of a first sync (every contact new) at scale, on our embedded emulator and on a
plain moto ThreadedMotoServer, with the local call policy (one worker, unpaced) and with 8 workers.

Each run starts from an empty emulator and makes 2 Subscribe calls per contact (email and phone); the
table gives its seconds and how many changes failed. Server and client share this process, as in the
tests. With --runner, the whole first run instead: `backlog-alerts run` on a contacts file of that size,
on the emulator it starts itself and on a plain `moto_server` process a user keeps running (target local).

Usage: python bench/first_run_scale.py [--sizes 2000,10000] [--workers 1,8] [--runner]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import yaml
from moto.server import ThreadedMotoServer
from sync_calls import DEPARTMENTS, contacts

from backlog_alerts.io import aws, emulator
from backlog_alerts.sync.apply import apply_plan
from backlog_alerts.sync.plan import plan_sync
from backlog_alerts.sync.subscriptions import list_subscriptions, wanted_subscriptions
from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.executed import read_facts

ROOT = Path(__file__).resolve().parent.parent


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


@contextmanager
def moto_server_process() -> Iterator[str]:
    """moto's `moto_server` command on a free port, as a user keeps it running beside the job."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait()


def runner_first_run(n: int, endpoint: str | None, work: Path) -> tuple[float, int, int, int]:
    """`backlog-alerts run` on n new contacts: seconds, exit code, subscriptions added, failed changes."""
    people = contacts(n)
    csv = work / f"contacts-{n}.csv"
    csv.write_text(
        "Name,Email,Phone,Department\n"
        + "".join(f"{p.name},{p.email},{p.phone},{p.department}\n" for p in people)
    )
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params.update(contacts_uri=str(csv), max_contacts=n)
    path = work / f"params-{n}.yaml"
    path.write_text(yaml.safe_dump(params))
    output = work / f"outputs-{n}-{'plain' if endpoint else 'embedded'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if endpoint:
        env = emulator.emulator_environ(endpoint, env)
    command = [
        sys.executable,
        "-m",
        "backlog_alerts",
        "run",
        "--params",
        str(path),
        "--output-dir",
        str(output),
    ]
    started = time.perf_counter()
    code = subprocess.run(command, env=env, cwd=ROOT, capture_output=True).returncode
    seconds = time.perf_counter() - started
    (run,) = [p for p in output.iterdir() if p.is_dir()]
    outcome = read_facts(str(run / "02_subscription_sync.ipynb")).get("sync_outcome") or []
    return seconds, code, sum(r["add"] for r in outcome), sum(r["failed"] for r in outcome)


def runner_table(sizes: list[int]) -> None:
    print(f"{'contacts':>8} {'server':<22} {'seconds':>8} {'exit':>4} {'added':>6} {'failed':>6}")
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            for name, server in (
                ("embedded (its own)", None),
                ("moto_server (a user's)", moto_server_process),
            ):
                with server() if server else contextlib.nullcontext() as endpoint:
                    seconds, code, added, failed = runner_first_run(n, endpoint, Path(work))
                print(f"{n:>8} {name:<22} {seconds:>8.1f} {code:>4} {added:>6} {failed:>6}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,10000", help="contact counts (default: %(default)s)")
    parser.add_argument(
        "--workers",
        default=f"{aws.call_policy('local').workers},8",
        help="worker counts (default: %(default)s)",
    )
    parser.add_argument("--runner", action="store_true", help="whole first runs through `backlog-alerts run`")
    args = parser.parse_args()
    if args.runner:
        runner_table([int(s) for s in args.sizes.split(",")])
        return
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
