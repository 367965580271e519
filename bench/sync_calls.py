"""Benchmark: AWS calls and wall time of the subscription sync against the naive subscribe-everyone loop.

Both run side by side against the same moto server (reset between approaches), at each size, for a
first run, a no-change re-run and a re-run with 1% of the contacts replaced. Calls are counted by
operation with botocore event hooks. Usage: python bench/sync_calls.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.request
from collections import Counter
from collections.abc import Callable

from backlog_alerts.io import aws, emulator
from backlog_alerts.sync.apply import apply_plan
from backlog_alerts.sync.contacts import Contact
from backlog_alerts.sync.plan import plan_sync
from backlog_alerts.sync.subscriptions import list_subscriptions, wanted_subscriptions
from backlog_alerts.sync.topics import Topic, ensure_topics

DEPARTMENTS = {"trash": "Trash", "streets": "Streets"}
AREAS = ("619", "858", "760", "442")


def contacts(n: int, generation: int = 0) -> list[Contact]:
    """n directors across both departments, with distinct fictional endpoints."""
    return [
        Contact(
            i + 2,
            f"Director {i}",
            f"director{i}.g{generation}@example.gov",
            f"+1{AREAS[i // 10000 + generation]}555{i % 10000:04d}",
            ("trash", "streets")[i % 2],
        )
        for i in range(n)
    ]


def one_percent_changed(n: int) -> list[Contact]:
    changed = max(1, n // 100)
    return contacts(n)[changed:] + contacts(changed, generation=2)


def naive(sns: object, topics: dict[str, Topic], people: list[Contact]) -> None:
    """The case study's loop: subscribe every row's email and phone on every run."""
    for person in people:
        arn = topics[person.department].arn
        sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=person.email)  # type: ignore[attr-defined]
        sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint=person.phone)  # type: ignore[attr-defined]


def synced(sns: object, topics: dict[str, Topic], people: list[Contact]) -> None:
    """What notebooks/02 does: list every page, plan, apply only the difference.

    Paced as on real AWS, with one worker as on the emulator: moto's SNS backend is not thread-safe, and
    concurrent Subscribe calls on a topic with thousands of subscriptions make it fail with HTTP 500.
    """
    existing = {d: list_subscriptions(sns, t.arn) for d, t in topics.items()}
    outcome = apply_plan(sns, plan_sync(topics, wanted_subscriptions(people, topics), existing), workers=1)
    failed = [c for c in outcome if c.result.startswith("failed")]
    if failed:
        raise SystemExit(f"{len(failed)} changes failed, e.g. {failed[0].result}")


def measure(endpoint: str, approach: Callable, n: int) -> list[tuple[str, Counter[str], float]]:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    sns = aws.pace(aws.client("sns", "us-east-1"), aws.SNS_RATES)
    topics = {t.department: t for t in ensure_topics(sns, DEPARTMENTS)}
    results = []
    for phase, people in (
        ("first run", contacts(n)),
        ("no change", contacts(n)),
        ("1% changed", one_percent_changed(n)),
    ):
        calls = aws.count_calls(sns)
        started = time.perf_counter()
        approach(sns, topics, people)
        results.append((phase, Counter(calls), time.perf_counter() - started))
        sns.meta.events.unregister("before-call", calls)  # type: ignore[attr-defined]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="contact counts (default: %(default)s)")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print("calls: Subscribe / Unsubscribe / ListSubscriptionsByTopic; same moto server, same run")
    print(
        f"{'contacts':>8} {'phase':<11} {'approach':<6} {'calls':>7} {'sub':>6} {'unsub':>6} {'list':>5} "
        f"{'seconds':>8}   {'fewer calls':>11} {'faster':>7}"
    )
    with emulator.moto_server() as endpoint:
        os.environ.update(emulator.emulator_environ(endpoint))
        for n in sizes:
            rows = {name: measure(endpoint, fn, n) for name, fn in (("naive", naive), ("sync", synced))}
            for (phase, naive_calls, naive_s), (_, sync_calls, sync_s) in zip(*rows.values(), strict=True):
                for name, calls, seconds in (("naive", naive_calls, naive_s), ("sync", sync_calls, sync_s)):
                    total = sum(calls.values())
                    ratio = ""
                    if name == "sync":
                        ratio = (
                            f"{sum(naive_calls.values()) / max(total, 1):>10.1f}x {naive_s / seconds:>6.1f}x"
                        )
                    print(
                        f"{n:>8} {phase:<11} {name:<6} {total:>7} {calls['Subscribe']:>6} "
                        f"{calls['Unsubscribe']:>6} {calls['ListSubscriptionsByTopic']:>5} "
                        f"{seconds:>8.2f}   {ratio}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
