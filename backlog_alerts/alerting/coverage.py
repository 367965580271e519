"""The coverage notice: ops hear, once, when the alerts stop reaching people.

Each run finds the conditions that keep an alert from a director (a firing alert that reaches nobody,
its department's endpoints unconfirmed, opted out or held back by their filter policies, a number that
replied STOP, an email unconfirmed for a day, a number the SMS sandbox
does not text, a run's SMS near the monthly spend limit), and sends one notice with those not told
before. The state remembers what was told while the condition lasts; one that ends and comes back
is told again.
"""

from __future__ import annotations

import copy
import hashlib
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.alerting.evaluation import PUBLISH, SUPPRESSED, Decision
from backlog_alerts.alerting.ops import publish_ops_notice, sent_now
from backlog_alerts.masking import mask_endpoint
from backlog_alerts.state.document import AlertState
from backlog_alerts.state.store import StateStore
from backlog_alerts.sync.pending import FIRST_SEEN, NOTICE_AFTER_HOURS, hours_pending, ledger_key
from backlog_alerts.sync.reach import Reach
from backlog_alerts.sync.sms_account import SmsAccount, month_total, spend_warning
from backlog_alerts.sync.topics import Topic

UNHEARD, OPTED_OUT, PENDING, UNVERIFIED, SPEND = "unheard", "opted_out", "pending", "unverified", "spend"
KINDS = (UNHEARD, OPTED_OUT, PENDING, UNVERIFIED, SPEND)


HEADINGS = {
    UNHEARD: "Firing alerts that reach nobody (published all the same; the department's topic has no "
    "confirmed email and no SMS number that receives, or their filter policies hold this alert back):",
    OPTED_OUT: "Numbers that replied STOP and get no SMS alerts:",
    PENDING: f"Email subscriptions unconfirmed after {NOTICE_AFTER_HOURS} h (SNS drops them at 48 h; "
    "the next sync then subscribes them again, with a new confirmation email):",
    UNVERIFIED: "The account is in the SMS sandbox, where only verified destination numbers receive "
    "texts. Not verified:",
    SPEND: "SMS spend:",
}
SUBJECTS = {
    UNHEARD: "{n} alert(s) reach nobody",
    OPTED_OUT: "{n} number(s) opted out",
    PENDING: "{n} email(s) unconfirmed",
    UNVERIFIED: "{n} number(s) not verified",
    SPEND: "SMS spend near the limit",
}
ADVICE = {
    UNHEARD: "An alert is sent once per report period, so it is not sent again when someone can hear it: "
    "pass it on, or, once someone can hear it, forget it with the command under it and run again.",
    OPTED_OUT: "With the director's consent, a number can be opted back in, once every 30 days: "
    "aws sns opt-in-phone-number --phone-number <number> (SNS OptInPhoneNumber). The numbers are masked "
    "here; the contacts file has them in full (match the last four digits).",
    PENDING: "Ask the director to click the link in the email from AWS Notifications.",
    UNVERIFIED: "Verify them (SNS console, Text messaging, Sandbox destination phone numbers), or ask "
    "AWS to move the account out of the sandbox.",
}


@dataclass(frozen=True)
class Condition:
    """One thing ops should know; `key` says whether it was told before (hashed where personal)."""

    kind: str
    key: str
    text: str  # masked


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def unheard(
    alerts: Iterable[Decision], heard: Mapping[str, Reach], *, dry_run: bool, params_hint: str
) -> list[Condition]:
    """Firing alerts, sent now or before for this report, that reach nobody (`heard`: by rule, whom its
    message gets through to): once per topic, service and report period, each with the command that
    sends it again."""
    found = []
    for a in alerts:
        missed = heard.get(a.rule)
        if missed is None or missed.people or a.action not in (PUBLISH, SUPPRESSED):
            continue
        if a.action == PUBLISH and not (a.message_id or dry_run):
            continue  # not sent at all: the run fails and says so
        when = (
            "would be published (dry run)"
            if dry_run and a.action == PUBLISH
            else f"published by this run, MessageId {a.message_id}"
            if a.action == PUBLISH
            else f"sent {a.previous_sent_at}, MessageId {a.previous_message_id}"
        )
        why = a.explanation or f"{a.comparison} {a.threshold}"
        found.append(
            Condition(
                UNHEARD,
                f"{a.department}:{a.service_name}@{a.period}",
                f"{a.department}: {a.service_name} {a.count} {why} (rule {a.rule}, "
                f"period {a.period}), {when}; {len(missed.pending)} pending, {len(missed.opted_out)} "
                f"opted out, {len(missed.unverified)} not verified, {len(missed.held_back)} held back by "
                f"their filter policy, {len(missed.cannot_tell)} whose filter policy cannot be read. To "
                f"send it again: backlog-alerts state "
                f"forget {params_hint} --period {a.period} --department {a.department} --service "
                f"{shlex.quote(a.service_name)}",
            )
        )
    return found


def reach_conditions(
    reach: Mapping[str, Reach],
    topics: Mapping[str, Topic],
    ledger: Mapping[str, Mapping[str, str]],
    now: datetime,
) -> list[Condition]:
    """Opted-out and unverified numbers, and emails pending too long, on the departments' topics."""
    found = []
    for dept, r in sorted(reach.items()):
        found += [Condition(OPTED_OUT, _hashed(n), f"{dept}: {mask_endpoint('sms', n)}") for n in r.opted_out]
        found += [
            Condition(UNVERIFIED, _hashed(n), f"{dept}: {mask_endpoint('sms', n)}") for n in r.unverified
        ]
        for email, since in r.pending_with_since():
            hours = hours_pending(since, now)
            if hours is None or hours < NOTICE_AFTER_HOURS:
                continue
            key = ledger_key(topics[dept].arn, email)
            at_least = "at least " if ledger.get(key, {}).get("how") == FIRST_SEEN else ""
            shown = (
                f"{dept}: {mask_endpoint('email', email)}, pending {at_least}{hours:.0f} h (since {since})"
            )
            found.append(Condition(PENDING, f"{key}@{since}", shown))
    return found


def spend(
    account: SmsAccount, texts: int, price_usd: float, now: datetime, *, dry_run: bool
) -> list[Condition]:
    """This run's SMS measured against the monthly limit, told once a month per limit and level (over
    half of it, then over all of it)."""
    warning = spend_warning(account, texts, price_usd, dry_run=dry_run)
    over = (
        account.spend_limit_usd is not None
        and month_total(account, texts, price_usd) > account.spend_limit_usd
    )
    key = f"{now:%Y-%m}@{account.spend_limit_usd}@{'over' if over else 'half'}"
    return [Condition(SPEND, key, warning)] if warning else []


def conditions_of(
    alerts: Iterable[Decision],
    reach: Mapping[str, Reach],
    heard: Mapping[str, Reach],
    state: AlertState,
    topics: Mapping[str, Topic],
    account: SmsAccount,
    *,
    texts: int,
    sms_price_usd: float,
    dry_run: bool,
    now: datetime,
    params_hint: str = "--params <params file>",
) -> list[Condition]:
    """Every condition that holds after this run's alerts, told before or not: `reach` is each
    department's topic, `heard` each rule's message through the filter policies (audience.py)."""
    return [
        *unheard(alerts, heard, dry_run=dry_run, params_hint=params_hint),
        *reach_conditions(reach, topics, state.subscribed, now),
        *spend(account, texts, sms_price_usd, now, dry_run=dry_run),
    ]


def texts_sent(published: Iterable[Any], heard: Mapping[str, Reach]) -> int:
    """SMS this run's messages went (or, in a dry run, would go) to: one per number each message's
    filter policies let it through to (`heard`: by rule)."""
    return sum(
        len(heard[p.rules[0]].phones)
        for p in published
        if p.rules and p.rules[0] in heard and (p.message_id or p.outcome.startswith("dry run"))
    )


def untold(conditions: Iterable[Condition], state: AlertState) -> list[Condition]:
    """The conditions the ops topic has not heard of yet."""
    return [c for c in conditions if c.key not in state.notices.get(f"coverage_{c.kind}", {})]


def remember(state: AlertState, conditions: Iterable[Condition], told: str, now: datetime) -> None:
    """What ops know after this run: the conditions that still hold (told now or before); a spend
    warning stays told for its month."""
    current = list(conditions)
    for kind in KINDS:
        before = state.notices.get(f"coverage_{kind}", {})
        keep = {c.key: before.get(c.key) or told for c in current if c.kind == kind}
        if kind == SPEND:
            keep |= {k: v for k, v in before.items() if k.startswith(f"{now:%Y-%m}@")}
        if keep:
            state.notices[f"coverage_{kind}"] = keep
        else:
            state.notices.pop(f"coverage_{kind}", None)


def notice_text(conditions: list[Condition], run_id: str) -> tuple[str, str]:
    """Subject and message of the notice: a section per kind, each with what to do about it."""
    counts = {kind: sum(c.kind == kind for c in conditions) for kind in KINDS}
    subject = "[OPS] backlog-alerts: " + ", ".join(
        SUBJECTS[kind].format(n=n) for kind, n in counts.items() if n
    )
    sections = []
    for kind in KINDS:
        lines = [f"  - {c.text}" for c in conditions if c.kind == kind]
        if lines:
            sections.append("\n".join([HEADINGS[kind], *lines, *([ADVICE[kind]] if kind in ADVICE else [])]))
    footer = (
        f"Run {run_id}. Each condition is told once while it lasts; "
        "`backlog-alerts recipients` shows everyone."
    )
    return subject, "\n\n".join([*sections, footer])


def send_coverage_notice(
    sns: Any,
    ops_topic: Topic | None,
    store: StateStore,
    conditions: list[Condition],
    *,
    run_id: str,
    dry_run: bool,
    now: datetime,
) -> dict[str, Any]:
    """One notice with the conditions not told before, then the state saved; what happened, for the
    trail. A notice sent is logged in the state with its run id; one SNS refuses leaves the state as it
    was, so the next run tells it."""
    new = untold(conditions, store.state)
    shown = [{"kind": c.kind, "text": c.text, "new": c in new} for c in conditions]  # keys stay in the state
    record: dict[str, Any] = {"conditions": shown, "message_id": "", "error": ""}
    if dry_run or ops_topic is None:
        told = "none: no ops_topic configured" if ops_topic is None else "dry run: would notify the ops topic"
        return record | {"action": told if new else "nothing new"}
    if new:
        try:
            record["message_id"] = publish_ops_notice(sns, ops_topic.arn, *notice_text(new, run_id))
            record |= {"topic": ops_topic.arn, "sent_at": sent_now()}  # on the trail with its MessageId
        except (ClientError, BotoCoreError) as err:  # the state stays as it was: the next run tells it
            return record | {"action": "not sent", "error": f"not sent: {err}"}
    told_before = {k: v for k, v in store.state.notices.items() if k.startswith("coverage_")}
    after = copy.deepcopy(store.state)
    remember(after, conditions, record["message_id"], now)
    sent = {key: record[key] for key in ("sent_at", "topic", "message_id") if record["message_id"]}

    def remembered(state: AlertState) -> None:  # logged: a notebook run by hand leaves no run folder
        remember(state, conditions, record["message_id"], now)
        if sent:
            state.log_ops_send({"run_id": run_id, "kind": "coverage", **sent})

    if sent or {k: v for k, v in after.notices.items() if k.startswith("coverage_")} != told_before:
        store.update(remembered)
    return record | {"action": "published" if new else "nothing new"}
