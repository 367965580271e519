"""`backlog-alerts recipients`: who would hear each department's alert right now, without sending."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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


class NoEmulatorError(BacklogAlertsError):
    """`target: local` with no emulator to ask: a new, empty one would say that nobody hears anything."""


def department_reach(params_path: str | Path) -> tuple[list[Reach], set[str], SmsAccount]:
    """Each department's reach, the departments that have alert rules, and the account's SMS settings."""
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
    with_rules = {rule["department"] for rule in params.rules}
    return [reach[dept] for dept in params.departments], with_rules, account


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


def show_recipients(params_path: str | Path, say: Callable[[str], None]) -> int:
    """Print each department's reach (masked); EXIT_UNHEARD when a department with rules reaches nobody."""
    reaches, with_rules, account = department_reach(params_path)
    now = datetime.now(UTC)
    unheard = []
    for reach in reaches:
        shown = reach.masked() | {"pending": _pending(reach, now)}
        rules = "" if reach.department in with_rules else " (no rules)"
        say(f"{reach.department}{rules}: {reach.people} reachable endpoints")
        for label in ("reached", "pending", "opted_out", "unverified", "unmanaged"):
            if shown[label]:
                say(f"  {LABELS.get(label, label)}: {', '.join(shown[label])}")
        if reach.people == 0 and reach.department in with_rules:
            unheard.append(reach.department)
    say(_account_line(account))
    if unheard:
        say(f"nobody would hear the alerts of: {', '.join(unheard)}")
        return EXIT_UNHEARD
    return EXIT_OK
