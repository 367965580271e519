"""The sync's ledger of when it subscribed each email still pending: ages known across runs."""

from datetime import UTC, datetime

from backlog_alerts.sync.pending import (
    FIRST_SEEN,
    SUBSCRIBED,
    hours_pending,
    ledger_key,
    pending_since,
    update_ledger,
)
from backlog_alerts.sync.plan import ADD, PENDING, REMOVE, UNCHANGED, Change

TRASH, STREETS = (
    "arn:aws:sns:us-east-1:1:trash_notifications",
    "arn:aws:sns:us-east-1:1:streets_notifications",
)


def change(action, endpoint, topic=TRASH, protocol="email", result="", name="A Director"):
    department = "trash" if topic == TRASH else "streets"
    return Change(department, topic, action, protocol, endpoint, name=name, result=result)


def test_an_email_subscribed_now_keeps_its_date_while_pending_and_goes_once_confirmed():
    first = update_ledger(
        {}, [change(ADD, "dana@example.gov", result="added")], [TRASH], "2026-11-28T10:00:00"
    )
    assert pending_since(first, TRASH, "Dana@Example.gov") == "2026-11-28T10:00:00"  # one mailbox, any case
    (entry,) = first.values()
    assert entry["how"] == SUBSCRIBED and entry["endpoint"] == "d*****@example.gov"
    assert "dana@example.gov" not in repr(first)  # the state holds no address

    later = update_ledger(first, [change(PENDING, "dana@example.gov")], [TRASH], "2026-11-29T10:00:00")
    assert pending_since(later, TRASH, "dana@example.gov") == "2026-11-28T10:00:00"
    confirmed = update_ledger(later, [change(UNCHANGED, "dana@example.gov")], [TRASH], "2026-11-30T10:00:00")
    assert confirmed == {}


def test_a_pending_email_the_sync_never_subscribed_is_first_seen_now_and_other_topics_stay():
    streets = update_ledger({}, [change(ADD, "sam@example.gov", STREETS, result="added")], [STREETS], "t0")
    ledger = update_ledger(streets, [change(PENDING, "old@example.gov")], [TRASH], "t1")
    assert ledger[ledger_key(TRASH, "old@example.gov")]["how"] == FIRST_SEEN
    assert pending_since(ledger, STREETS, "sam@example.gov") == "t0"  # not synced this time: kept


def test_a_pending_email_no_longer_in_the_contacts_file_is_forgotten():
    ledger = update_ledger({}, [change(ADD, "gone@example.gov", result="added")], [TRASH], "t0")
    assert update_ledger(ledger, [change(PENDING, "gone@example.gov", name="")], [TRASH], "t1") == {}


def test_failed_adds_sms_and_removals_are_not_pending_emails():
    ledger = update_ledger(
        {},
        [
            change(ADD, "failed@example.gov", result="failed: Throttling"),
            change(ADD, "+16195550101", protocol="sms", result="added"),
            change(REMOVE, "gone@example.gov", result="removed"),
            change(ADD, "planned@example.gov"),  # a dry run: planned, not made
        ],
        [TRASH],
        "t0",
    )
    assert ledger == {}


def test_hours_pending_are_unknown_without_a_date():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert hours_pending("2026-11-28T12:00:00+00:00", now) == 24
    assert hours_pending("", now) is None
