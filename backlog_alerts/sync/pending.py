"""When each email subscription started waiting for its director's click.

SNS lists a pending subscription without a date, and drops it unconfirmed after 48 hours, so the sync
writes down when it subscribed each email (in the alert state, as `subscribed`): its age is then known
across runs. Entries are keyed by a hash of topic and address, so the state holds no address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from backlog_alerts.masking import mask_endpoint
from backlog_alerts.state.document import AlertState, StateError
from backlog_alerts.state.store import open_state
from backlog_alerts.sync.plan import ADD, PENDING, Change
from backlog_alerts.sync.subscriptions import endpoint_key

NOTICE_AFTER_HOURS = 24  # a confirmation still pending after this is worth a word to ops
SUBSCRIBED, FIRST_SEEN = "subscribed", "first seen"  # how `since` is known: exactly, or a lower bound

Ledger = dict[str, dict[str, str]]


def ledger_key(topic_arn: str, email: str) -> str:
    """The entry of one address on one topic; the same address in another case is the same entry."""
    protocol, endpoint = endpoint_key("email", email)
    return hashlib.sha256(f"{topic_arn}\n{protocol}\n{endpoint}".encode()).hexdigest()[:20]


def pending_since(ledger: Mapping[str, Mapping[str, str]], topic_arn: str, email: str) -> str:
    """When the sync subscribed (or first saw) this pending email; "" when it never did."""
    return ledger.get(ledger_key(topic_arn, email), {}).get("since", "")


def update_ledger(
    ledger: Mapping[str, Mapping[str, str]], outcome: Iterable[Change], topic_arns: Iterable[str], now: str
) -> Ledger:
    """The ledger after a sync of `topic_arns`: their emails still pending keep their date, emails
    just subscribed get `now`, a pending one never subscribed by us is first seen now, and every
    other entry of those topics goes (confirmed, dropped by SNS, or no longer in the contacts file:
    nobody need chase a director who has left). Other topics' entries stay."""
    synced = set(topic_arns)
    kept: Ledger = {key: dict(entry) for key, entry in ledger.items() if entry.get("topic") not in synced}
    for change in outcome:
        if change.protocol != "email":
            continue
        key = ledger_key(change.topic_arn, change.endpoint)
        if change.action == PENDING and change.name:  # named: a row of the file still wants it
            entry = ledger.get(key) or {"since": now, "how": FIRST_SEEN}
        elif change.action == ADD and change.result == "added":
            entry = {"since": now, "how": SUBSCRIBED}
        else:
            continue
        kept[key] = {
            "since": entry["since"],
            "how": entry["how"],
            "topic": change.topic_arn,
            "department": change.department,
            "endpoint": mask_endpoint("email", change.endpoint),
        }
    return kept


def hours_pending(since: str, now: datetime) -> float | None:
    """How long an email has waited, in hours; None when the date is unknown."""
    return (now - datetime.fromisoformat(since)).total_seconds() / 3600 if since else None


def keep_ledger(
    state_uri: str, region: str | None, outcome: Iterable[Change], topic_arns: Iterable[str], *, dry_run: bool
) -> tuple[Ledger, str]:
    """The ledger after this sync, saved in the alert state when it changed (not in a dry run), and
    what became of it. The subscriptions are made by then: a state that cannot be read or written
    costs the ages, not the sync (the alert check then fails on it, and says why). The write is
    conditional: a state changed meanwhile is read again and the ledger worked out on it afresh."""
    outcome, topic_arns = list(outcome), list(topic_arns)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        store = open_state(state_uri, region)
        ledger = update_ledger(store.state.subscribed, outcome, topic_arns, now)
        if ledger == store.state.subscribed or dry_run:
            return ledger, "unchanged" if ledger == store.state.subscribed else "dry run: not saved"

        def change(state: AlertState) -> Ledger:
            state.subscribed = update_ledger(state.subscribed, outcome, topic_arns, now)
            return state.subscribed

        ledger = store.update(change)
    except StateError as err:
        return {}, f"not kept: {err}"
    return ledger, f"saved in {state_uri}"
