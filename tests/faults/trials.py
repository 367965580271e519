"""What a run leaves behind, compared between runs: shared by the fault tests and `make soak`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from random import Random

import boto3
from faults.aws_faults import children, spec

from backlog_alerts.io.emulator import channel_texts, published_messages

ROOT = Path(__file__).resolve().parents[2]
FAULTS_DIR = Path(__file__).resolve().parent
CLI = str(Path(sys.executable).parent / "backlog-alerts")
RUN_ID = re.compile(r"\d{8}T\d{6}\.\d{6}Z")
# The calls issue 6 names: the sync's, the publish, and reading the inputs and the state.
OPS_TOPIC = "backlog_alerts_ops"  # params/local.yaml's ops_topic
FLAKY_OPERATIONS = ("Subscribe", "Unsubscribe", "ListSubscriptionsByTopic", "Publish", "GetObject")


@dataclass(frozen=True)
class Outcome:
    """The facts a run must get right, free of ids that differ between runs."""

    subscriptions: frozenset[tuple[str, str, str]]  # topic name, protocol, endpoint
    deliveries: Counter[tuple[str, str, str]]  # topic name, Subject, per-channel texts
    state: str  # the alert state (its send log too) without message ids, times, run ids, pending dates

    def for_directors(self) -> Outcome:
        """Without the ops topic's failure notices: what the departments' directors saw."""
        deliveries = Counter({k: n for k, n in self.deliveries.items() if k[0] != OPS_TOPIC})
        return Outcome(self.subscriptions, deliveries, self.state)


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()


def _state(region: str = "us-east-1") -> str:
    s3 = boto3.client("s3", region_name=region)
    try:
        data = json.loads(
            s3.get_object(Bucket="backlog-alerts-demo-state", Key="alert_state.json")["Body"].read()
        )
    except s3.exceptions.NoSuchKey:
        return "{}"
    volatile = ("message_id", "sent_at", "run_id")
    # What each topic heard and the send log, in any order (a send retried by a later run comes after
    # the others), without ids and times; the deployment's id is new on each emulator, and how many
    # writes the state took depends on retries.
    for name in ("heard", "sends"):
        entries = [{k: v for k, v in e.items() if k not in volatile} for e in data.get(name, [])]
        data[name] = sorted(entries, key=lambda entry: json.dumps(entry, sort_keys=True))
    data.pop("deployment", None)
    data.pop("generation", None)
    # When the sync subscribed the emails it last saw pending: dated, and forgotten by the next sync
    # once confirmed, so it depends on how many syncs a run took, not on what the directors got.
    data.pop("subscribed", None)
    return json.dumps(data, sort_keys=True)


def observe(endpoint: str) -> Outcome:
    """Read the emulator's subscriptions, what it delivered and the alert state (boto3 env must point at it)."""
    sns = boto3.client("sns", region_name="us-east-1")
    subscriptions = frozenset(
        (s["TopicArn"].rsplit(":", 1)[1], s["Protocol"], s["Endpoint"])
        for page in sns.get_paginator("list_subscriptions").paginate()
        for s in page["Subscriptions"]
    )
    deliveries = Counter(
        (
            m["topic"],
            m["subject"],
            RUN_ID.sub("<run>", json.dumps(channel_texts(m["message"]), sort_keys=True)),
        )
        for m in published_messages(endpoint)
    )
    return Outcome(subscriptions, deliveries, _state())


def with_faults(env: dict[str, str], spec: str) -> dict[str, str]:
    """The environment of a run whose every process injects the faults in `spec` (see aws_faults)."""
    path = os.pathsep.join(p for p in (str(FAULTS_DIR), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path, "BACKLOG_ALERTS_FAULTS": spec}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "run", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def _running_notebook(output_dir: Path) -> str:
    for manifest in output_dir.glob("*/manifest.json"):
        try:
            entries = json.loads(manifest.read_text())["notebooks"]
        except (ValueError, KeyError, OSError):  # being rewritten right now
            continue
        return next((e["notebook"] for e in entries if e["status"] == "running"), "")
    return ""


def kill_during(env: dict[str, str], output_dir: Path, notebook: str, delay: float) -> str:
    """Start a run, SIGKILL it `delay` s after `notebook` starts; returns where it was when killed."""
    process = subprocess.Popen(
        [CLI, "run", "--output-dir", str(output_dir)],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while _running_notebook(output_dir) != notebook and process.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(delay)
    where = _running_notebook(output_dir) or "after the last notebook"
    for pid in children(process.pid):  # the whole run: its kernels too, which would finish their cell
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return where


@dataclass(frozen=True)
class CrashTrial:
    """One seeded crash: where the run was killed, and what the re-run left."""

    seed: int
    killed_in: str
    same_subscriptions: bool
    missing: int  # alerts a clean run delivers that never arrived
    duplicates: int  # deliveries beyond the first of the same alert


MOMENTS = ("02_subscription_sync.ipynb", "03_alert_check.ipynb", "publish", "state-save")


def crash_trial(
    seed: int, endpoint: str, env: dict[str, str], workdir: Path, clean: Outcome, moment: str = ""
) -> CrashTrial:
    """Kill a whole run (runner and kernels) at a seeded moment, re-run normally, compare with a clean
    run. The moment is a random point of notebook 2 or 3, or, from inside the publishing kernel, right
    after SNS took the first or second alert (before the state recorded it: the one window for a
    repeat) or right after the state recorded it."""
    rng = Random(seed)
    reset(endpoint)
    departed_director()
    output_dir = workdir / f"crash-{seed}"
    moment = moment or rng.choice(MOMENTS)
    if moment.endswith(".ipynb"):
        killed_in = kill_during(env, output_dir, moment, rng.uniform(0.0, 0.6))  # a notebook takes about 1 s
    else:
        nth = rng.choice((1, 2))
        killed = run(with_faults(env, spec(crash=(moment, nth))), "--output-dir", str(output_dir))
        assert killed.returncode == -signal.SIGKILL, f"seed {seed}: not killed at {moment} {nth}"
        killed_in = f"{moment} {nth}"
    rerun = run(env, "--output-dir", str(output_dir))
    if rerun.returncode != 0:
        raise AssertionError(f"seed {seed}: the re-run failed: {rerun.stderr[-2000:]}")
    after = observe(endpoint).for_directors()
    return CrashTrial(
        seed,
        killed_in,
        after.subscriptions == clean.subscriptions,
        sum(1 for key in clean.deliveries if after.deliveries[key] == 0),
        sum(n - 1 for n in after.deliveries.values() if n > 1),
    )


def departed_director() -> None:
    """Before the run: two streets directors already subscribed by SMS, and one who has left since.

    The run adds the rest, keeps the two, and removes the one no longer in the contacts file.
    """
    sns = boto3.client("sns", region_name="us-east-1")
    arn = sns.create_topic(Name="streets_notifications")["TopicArn"]
    for phone in ("+16195550103", "+16195550104", DEPARTED):
        sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint=phone)


DEPARTED = "+16195550199"
