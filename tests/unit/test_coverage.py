"""The coverage notice: which conditions keep alerts from people, and that each is told once while it lasts."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.alerting.audience import alert_reach
from backlog_alerts.alerting.coverage import (
    OPTED_OUT,
    PENDING,
    SPEND,
    UNHEARD,
    UNVERIFIED,
    Condition,
    conditions_of,
    notice_text,
    remember,
    send_coverage_notice,
    texts_sent,
    untold,
)
from backlog_alerts.alerting.evaluation import PUBLISH, QUIET, SUPPRESSED, Decision
from backlog_alerts.alerting.messages import Message
from backlog_alerts.alerting.outcome import Publication
from backlog_alerts.state.document import AlertState
from backlog_alerts.state.store import StateStore
from backlog_alerts.sync.pending import FIRST_SEEN, SUBSCRIBED, ledger_key
from backlog_alerts.sync.reach import Filter, Reach
from backlog_alerts.sync.sms_account import SmsAccount
from backlog_alerts.sync.topics import Topic

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
TOPICS = {
    d: Topic(d, f"{d}_notifications", f"arn:aws:sns:us-east-1:123456789012:{d}_notifications")
    for d in ("trash", "streets")
}
POTHOLES = Decision(
    "potholes",
    "Pothole",
    "streets",
    "warning",
    ">",
    100,
    163,
    True,
    action=PUBLISH,
    message_id="m-1",
    period="2019-02",
    topic=TOPICS["streets"].arn,
)
NOBODY = Reach("streets", (), (), pending=("new.director@example.gov",), opted_out=("+16195550199",))
SOMEONE = Reach("trash", ("dana.okafor@example.gov",), ("+16195550101",))


def conditions(alerts=(POTHOLES,), reach=None, state=None, account=None, texts=0, dry_run=False):
    reach = {"streets": NOBODY, "trash": SOMEONE} if reach is None else reach
    return conditions_of(
        list(alerts),
        reach,
        alert_reach(alerts, [], reach),  # each alert judged through its topic's filter policies
        state or AlertState(),
        TOPICS,
        account or SmsAccount(),
        texts=texts,
        sms_price_usd=0.01,
        dry_run=dry_run,
        now=NOW,
    )


def test_an_alert_published_to_a_department_nobody_hears_is_named_unheard_with_what_it_missed():
    unheard = [c for c in conditions() if c.kind == UNHEARD]
    assert unheard == [
        Condition(
            UNHEARD,
            "streets:Pothole@2019-02",
            "streets: Pothole 163 > 100 (rule potholes, period 2019-02), published by this run, "
            "MessageId m-1; 1 pending, 1 opted out, 0 not verified, 0 held back by their filter policy, "
            "0 whose filter policy cannot be read. To send it again: backlog-alerts state forget --params <params file> --period 2019-02 --department streets --service Pothole",
        )
    ]


def test_a_department_someone_hears_and_a_rule_not_firing_are_not_unheard():
    heard = replace(POTHOLES, department="trash")
    quiet = replace(POTHOLES, action=QUIET, message_id="")
    assert not [c for c in conditions([heard, quiet]) if c.kind == UNHEARD]


def test_an_alert_sent_before_for_this_period_is_unheard_under_its_first_messageid():
    suppressed = replace(
        POTHOLES, action=SUPPRESSED, previous_message_id="m-0", previous_sent_at="2026-11-01T00:00:00"
    )
    (unheard,) = [c for c in conditions([suppressed]) if c.kind == UNHEARD]
    assert (
        unheard.key == "streets:Pothole@2019-02" and "sent 2026-11-01T00:00:00, MessageId m-0" in unheard.text
    )


def test_an_alert_not_sent_at_all_is_left_to_the_failed_run_and_a_dry_run_says_would():
    assert not [c for c in conditions([replace(POTHOLES, message_id="", error="x")]) if c.kind == UNHEARD]
    (dry,) = [c for c in conditions([replace(POTHOLES, message_id="")], dry_run=True) if c.kind == UNHEARD]
    assert "would be published (dry run)" in dry.text


def test_opted_out_and_unverified_numbers_are_masked_and_keyed_by_a_hash():
    reach = {"streets": replace(NOBODY, unverified=("+16195550142",))}
    found = {c.kind: c for c in conditions(reach=reach)}
    assert found[OPTED_OUT].text == "streets: +1******0199" and "0199" not in found[OPTED_OUT].key
    assert found[UNVERIFIED].text == "streets: +1******0142"


def test_an_email_pending_more_than_a_day_is_told_with_its_age_and_a_younger_one_is_not():
    arn = TOPICS["streets"].arn
    old, young, unknown = "old@example.gov", "young@example.gov", "unknown@example.gov"
    since = {old: (NOW - timedelta(hours=30)).isoformat(), young: (NOW - timedelta(hours=2)).isoformat()}
    ledger = {ledger_key(arn, e): {"since": since[e], "how": SUBSCRIBED} for e in (old, young)}
    reach = {
        "streets": Reach(
            "streets",
            (),
            ("+16195550101",),
            pending=(old, young, unknown),
            pending_since=(since[old], since[young], ""),
        )
    }
    (pending,) = [
        c for c in conditions(reach=reach, state=AlertState(subscribed=ledger)) if c.kind == PENDING
    ]
    assert pending.text == f"streets: o*****@example.gov, pending 30 h (since {since[old]})"
    ledger[ledger_key(arn, old)]["how"] = FIRST_SEEN  # seen pending, never subscribed by us: a lower bound
    (pending,) = [
        c for c in conditions(reach=reach, state=AlertState(subscribed=ledger)) if c.kind == PENDING
    ]
    assert "pending at least 30 h" in pending.text


def test_a_run_whose_texts_would_use_most_of_the_spend_limit_is_told_once_a_month():
    account = SmsAccount(spend_limit_usd=1.0)
    assert not [c for c in conditions(account=account, texts=50) if c.kind == SPEND]  # half: fine
    (spend,) = [c for c in conditions(account=account, texts=51) if c.kind == SPEND]
    assert spend.key == "2026-11@1.0@half" and "51 SMS cost about 0.51 USD" in spend.text
    assert "51% of the account's monthly SMS spend limit of 1 USD" in spend.text
    (spend,) = [c for c in conditions(account=account, texts=120) if c.kind == SPEND]
    assert spend.key == "2026-11@1.0@over" and "120% of the account's monthly SMS" in spend.text
    (dry,) = [c for c in conditions(account=account, texts=120, dry_run=True) if c.kind == SPEND]
    assert "120 SMS would cost about 1.20 USD" in dry.text
    assert not [c for c in conditions(account=SmsAccount(), texts=10_000) if c.kind == SPEND]  # limit unknown


def test_texts_are_counted_per_number_reached_by_each_message_that_went_out():
    heard = {
        "a": SOMEONE,
        "b": Reach("streets", (), ("+1", "+2")),
        "c": Reach("streets", (), ("+1", "+2", "+3")),
    }
    published = [
        Publication("trash_notifications", "trash", "warning", "s", ("a",), "m-1", "published"),
        Publication("streets_notifications", "streets", "warning", "s", ("b",), "", "not sent: x"),
        Publication(
            "streets_notifications", "streets", "critical", "s", ("c",), "", "dry run: not published"
        ),
    ]
    assert texts_sent(published, heard) == 1 + 3


CRITICAL_ONLY = Filter('{"severity": ["critical"]}', "MessageAttributes")
DIRECTORS = Reach(
    "streets",
    ("dana.okafor@example.gov",),
    ("+16195550101",),
    filters=((("email", "dana.okafor@example.gov"), CRITICAL_ONLY), (("sms", "+16195550101"), CRITICAL_ONLY)),
)


def test_a_warning_to_directors_who_asked_for_critical_only_reaches_nobody_and_is_unheard():
    (unheard,) = [c for c in conditions(reach={"streets": DIRECTORS}) if c.kind == UNHEARD]
    assert "2 held back by their filter policy" in unheard.text
    critical = replace(POTHOLES, severity="critical")
    assert not [c for c in conditions([critical], reach={"streets": DIRECTORS}) if c.kind == UNHEARD]


def test_a_policy_that_cannot_be_read_is_not_counted_as_reached_and_is_named():
    unreadable = replace(
        DIRECTORS,
        filters=(
            (("email", "dana.okafor@example.gov"), Filter('{"severity": "x"}')),
            (("sms", "+16195550101"), CRITICAL_ONLY),
        ),
    )
    (unheard,) = [c for c in conditions(reach={"streets": unreadable}) if c.kind == UNHEARD]
    assert "1 held back by their filter policy, 1 whose filter policy cannot be read" in unheard.text
    assert "dana" not in unheard.text


def test_texts_count_only_the_numbers_a_message_gets_through_to():
    messages = [
        Message("streets", "warning", "s", "sms", "email", (POTHOLES,)),
        Message(
            "streets", "critical", "s", "sms", "email", (replace(POTHOLES, rule="big", severity="critical"),)
        ),
    ]
    heard = alert_reach([], messages, {"streets": DIRECTORS})
    published = [
        Publication(
            "streets_notifications", "streets", m.severity, "s", (m.decisions[0].rule,), "m", "published"
        )
        for m in messages
    ]
    assert (heard["potholes"].people, heard["big"].people) == (0, 2)
    assert texts_sent(published, heard) == 1


def test_the_notice_has_a_section_per_kind_with_what_to_do():
    subject, message = notice_text(conditions(), "run-1")
    assert subject == "[OPS] backlog-alerts: 1 alert(s) reach nobody, 1 number(s) opted out"
    assert "Firing alerts that reach nobody" in message and "aws sns opt-in-phone-number" in message
    assert message.endswith("`backlog-alerts recipients` shows everyone.") and "Run run-1" in message


class FakeSns:
    """Only what the notice sends: publish, answered like SNS (or refused)."""

    def __init__(self, refuse=False):
        self.sent, self.refuse = [], refuse

    def publish(self, **kwargs):
        if self.refuse:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AuthorizationError"}}, "Publish")
        self.sent.append(kwargs)
        return {"MessageId": f"ops-{len(self.sent)}"}


OPS = Topic("ops", "backlog_alerts_ops", "arn:ops")


def notify(sns, store, found, dry_run=False, ops=OPS):
    return send_coverage_notice(sns, ops, store, found, run_id="r", dry_run=dry_run, now=NOW)


def test_a_condition_is_told_once_while_it_lasts_and_again_when_it_comes_back(tmp_path):
    sns, store = FakeSns(), StateStore(str(tmp_path / "state.json"))
    found = conditions()
    assert notify(sns, store, found)["action"] == "published" and len(sns.sent) == 1
    record = notify(sns, store, found)
    assert record["action"] == "nothing new" and len(sns.sent) == 1
    assert [c["new"] for c in record["conditions"]] == [False, False]
    assert "key" not in record["conditions"][0]  # hashed numbers stay in the state
    notify(sns, store, [])  # the director opted back in and the alert was heard
    assert not any(k.startswith("coverage_") for k in store.load().notices)
    assert notify(sns, store, found)["action"] == "published" and len(sns.sent) == 2


def test_a_refused_notice_a_dry_run_and_no_ops_topic_change_no_state(tmp_path):
    store = StateStore(str(tmp_path / "state.json"))
    refused = notify(FakeSns(refuse=True), store, conditions())
    assert refused["action"] == "not sent" and "AuthorizationError" in refused["error"]
    assert notify(FakeSns(), store, conditions(), dry_run=True)["action"].startswith("dry run")
    assert notify(FakeSns(), store, conditions(), ops=None)["action"].startswith("none")
    assert store.state.notices == {} and not (tmp_path / "state.json").exists()


UNIVERSE = [
    Condition(kind, f"{kind}-{i}", f"text {i}") for kind in (UNHEARD, OPTED_OUT, PENDING) for i in range(3)
]


@given(st.lists(st.sets(st.sampled_from(UNIVERSE)), max_size=8))
def test_over_any_sequence_of_runs_each_condition_is_told_when_it_starts_and_only_then(runs):
    state, before = AlertState(), set()
    for current in runs:
        new = untold(sorted(current, key=lambda c: c.key), state)
        assert set(new) == current - before
        remember(state, current, "id", NOW)
        before = current
