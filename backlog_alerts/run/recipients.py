"""`backlog-alerts recipients`: who would hear each department's alert right now, without sending."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from backlog_alerts.errors import EXIT_OK, EXIT_UNHEARD, BacklogAlertsError
from backlog_alerts.io import aws
from backlog_alerts.run.plan import plan_run
from backlog_alerts.sync.reach import Reach, topic_reach
from backlog_alerts.sync.topics import find_topics


class NoEmulatorError(BacklogAlertsError):
    """`target: local` with no emulator to ask: a new, empty one would say that nobody hears anything."""


def department_reach(params_path: str | Path) -> tuple[list[Reach], set[str]]:
    """Each department's reach, and the departments that have alert rules."""
    params = plan_run(params_path).params
    if params.target == "local" and not os.environ.get("AWS_ENDPOINT_URL"):
        raise NoEmulatorError(
            "target: local needs the emulator the runs use: set AWS_ENDPOINT_URL (`make emulator` prints it)"
        )
    sns = aws.client("sns", params.region)
    reach = topic_reach(sns, find_topics(sns, list(params.departments)), params.departments)
    return [reach[dept] for dept in params.departments], {rule["department"] for rule in params.rules}


def show_recipients(params_path: str | Path, say: Callable[[str], None]) -> int:
    """Print each department's reach (masked); EXIT_UNHEARD when a department with rules reaches nobody."""
    reaches, with_rules = department_reach(params_path)
    unheard = []
    for reach in reaches:
        shown = reach.masked()
        rules = "" if reach.department in with_rules else " (no rules)"
        say(f"{reach.department}{rules}: {reach.people} reachable")
        for label in ("reached", "pending", "opted_out", "unmanaged"):
            if shown[label]:
                say(f"  {label.replace('_', ' ')}: {', '.join(shown[label])}")
        if reach.people == 0 and reach.department in with_rules:
            unheard.append(reach.department)
    if unheard:
        say(f"nobody would hear the alerts of: {', '.join(unheard)}")
        return EXIT_UNHEARD
    return EXIT_OK
