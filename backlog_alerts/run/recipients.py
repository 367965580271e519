"""`backlog-alerts recipients`: who would hear each department's alert right now, per severity,
without sending: a critical-only director is on the topic and still hears no warning."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from backlog_alerts.alerting.evaluation import Decision
from backlog_alerts.alerting.messages import Message
from backlog_alerts.alerting.publish import message_attributes
from backlog_alerts.alerting.rules import SEVERITIES, Rule, as_heard
from backlog_alerts.errors import EXIT_OK, EXIT_UNHEARD, BacklogAlertsError
from backlog_alerts.io import aws
from backlog_alerts.masking import mask_email
from backlog_alerts.run.plan import plan_run
from backlog_alerts.state.document import StateError
from backlog_alerts.state.store import open_state
from backlog_alerts.sync.pending import hours_pending
from backlog_alerts.sync.reach import Reach, topic_reach
from backlog_alerts.sync.sms_account import SmsAccount, read_sms_account
from backlog_alerts.sync.topics import find_topics

LABELS = {"opted_out": "opted out", "unverified": "not verified (SMS sandbox)"}
RESOLVED = "resolved"  # the notice `notify_resolved` sends, a severity of its own to filter policies


class NoEmulatorError(BacklogAlertsError):
    """`target: local` with no emulator to ask: a new, empty one would say that nobody hears anything."""


def department_reach(params_path: str | Path) -> tuple[list[Reach], list[Rule], SmsAccount, bool]:
    """Each department's topic reach (with filter policies), the rules, the account's SMS settings,
    and whether resolved notices are sent."""
    params = plan_run(params_path).params
    if params.target == "local" and not os.environ.get("AWS_ENDPOINT_URL"):
        raise NoEmulatorError(
            "target: local needs the emulator the runs use: set AWS_ENDPOINT_URL (`make emulator` prints it)"
        )
    sns = aws.client("sns", params.region)
    account = read_sms_account(sns, params.region, ask_sandbox=params.target == "aws")
    try:  # when the sync subscribed each pending email; without it, ages are unknown
        ledger = open_state(params.state_uri, params.region).state.subscribed
    except StateError:
        ledger = {}
    topics = find_topics(sns, list(params.departments), namespace=params.namespace)
    reach = topic_reach(sns, topics, params.departments, account, ledger)
    rules = params.alert_rules
    return [reach[dept] for dept in params.departments], rules, account, params.notify_resolved


def severity_reach(
    topic: Reach, rules: list[Rule], *, notify_resolved: bool
) -> list[tuple[str, tuple[str, ...], Reach]]:
    """(severity, rules, whom it reaches) for warning, critical and every severity the department's
    rules use: one row per severity, or per rule where its rules reach different endpoints (a filter
    policy may name services; an escalation to the department is one of its rules). A severity no rule
    sends has no rules, judged on its attributes alone."""
    mine = [r for r in as_heard(rules) if r.department == topic.department]
    severities = [*SEVERITIES, *sorted({r.severity for r in mine} - set(SEVERITIES))]
    rows = []
    for severity in [*severities, *([RESOLVED] if notify_resolved and mine else [])]:
        sending = mine if severity == RESOLVED else [r for r in mine if r.severity == severity]
        judged = [(r.name, _alone(topic, severity, [r])) for r in sending] or [
            ("", _alone(topic, severity, []))
        ]
        if len({(r.emails, r.phones) for _, r in judged}) == 1:
            rows.append((severity, tuple(name for name, _ in judged if name), judged[0][1]))
        else:
            rows += [(severity, (name,), r) for name, r in judged]
    return rows


def _alone(topic: Reach, severity: str, rules: list[Rule]) -> Reach:
    """Whom a message of this severity about these rules' services reaches (its body unknown)."""
    decisions = tuple(
        Decision(r.name, r.service_name, r.department, r.severity, ">", r.threshold or 0, None, True)
        for r in rules
    )
    return topic.through(message_attributes(Message(topic.department, severity, "", "", "", decisions)), None)


def _pending(reach: Reach, now: datetime) -> list[str]:
    """Each pending email (masked) with how long it has waited, where the sync recorded it."""
    return [
        f"{mask_email(email)} ({hours:.0f} h)"
        if (hours := hours_pending(since, now)) is not None
        else f"{mask_email(email)} (age unknown)"
        for email, since in reach.pending_with_since()
    ]


def _account_line(account: SmsAccount) -> str:
    """The account's SMS settings, with why a part is not known."""
    sandbox = {None: "not known", True: "yes (only verified numbers receive)", False: "no"}[
        account.in_sandbox
    ]
    limit = "not known" if account.spend_limit_usd is None else f"{account.spend_limit_usd:g} USD"
    why = f" ({'; '.join(account.notes)})" if account.notes else ""
    return f"SMS sandbox: {sandbox}; monthly SMS spend limit: {limit}{why}"


def _severity_line(severity: str, rules: tuple[str, ...], heard: Reach) -> str:
    """One severity's reach (masked): who hears it, who a filter policy holds it from, who cannot be told."""
    shown = heard.masked()
    which = (
        f"{severity} ({'rule' if len(rules) == 1 else 'rules'} {', '.join(rules)})"
        if rules
        else (f"{severity} (no rules)")
    )
    parts = [f"reaches {heard.people}: {', '.join(shown['reached'])}" if heard.people else "REACHES NOBODY"]
    if shown["held_back"]:
        parts.append(f"held back by filter policy: {', '.join(shown['held_back'])}")
    if shown["cannot_tell"]:
        parts.append(f"filter policy cannot be read, not counted: {', '.join(shown['cannot_tell'])}")
    return f"  {which}: {'; '.join(parts)}"


def show_recipients(params_path: str | Path, say: Callable[[str], None]) -> int:
    """Print each department's reach per severity (masked); EXIT_UNHEARD when a severity some rule of
    a department sends reaches nobody there."""
    reaches, rules, account, notify_resolved = department_reach(params_path)
    now = datetime.now(UTC)
    unheard = []
    for reach in reaches:
        shown = reach.masked() | {"pending": _pending(reach, now)}
        has_rules = any(r.department == reach.department for r in as_heard(rules))
        say(
            f"{reach.department}{'' if has_rules else ' (no rules)'}: {reach.people} reachable endpoints "
            "(before filter policies)"
        )
        for severity, names, heard in severity_reach(reach, rules, notify_resolved=notify_resolved):
            say(_severity_line(severity, names, heard))
            if names and not heard.people:
                unheard.append(f"{reach.department} {severity} ({', '.join(names)})")
        for label in ("pending", "opted_out", "unverified", "unmanaged"):
            if shown[label]:
                say(f"  {LABELS.get(label, label)}: {', '.join(shown[label])}")
    say(_account_line(account))
    if unheard:
        say(f"nobody would hear the alerts of: {'; '.join(unheard)}")
        return EXIT_UNHEARD
    return EXIT_OK
