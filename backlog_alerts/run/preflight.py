"""Before the first change to AWS: everything a run can know without changing anything.

Topic setup and the sync change AWS before the alert check reads the report, so a bad report found
only in notebook 3 would leave a half-applied run. The runner reads both inputs first, renders every
message with the real display names and counts, and checks that the alert state can be read and
written, all within the notebooks' cell timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from backlog_alerts.alerting.evaluation import evaluate
from backlog_alerts.alerting.messages import check_messages, check_templates
from backlog_alerts.alerting.report import load_report, request_settings
from backlog_alerts.alerting.rules import parse_rules
from backlog_alerts.alerting.state import check_state_location
from backlog_alerts.errors import SourceError
from backlog_alerts.io.sources import read_source
from backlog_alerts.run.model import Params
from backlog_alerts.sync.contacts import parse_contacts


def check_inputs(params: Params) -> list[str]:
    """Raise the error the notebooks would raise on a bad input; else one line per input, for the log."""
    contacts = parse_contacts(
        read_source(params.contacts_uri, params.region),
        list(params.departments),
        params.default_phone_region,
        params.on_invalid_row,
        params.max_contacts,
    )
    report = load_report(
        params.report_uri,
        params.region,
        period=params.report_period,
        expected_period=params.expected_period,
        service_column=params.service_column,
        count_column=params.count_column,
        requests=request_settings(
            params.report_kind, params.closed_statuses, params.min_age_days, params.include_duplicate_requests
        ),
    )
    rules = parse_rules(params.rules, params.departments)
    if report.status == "ok":
        evaluate(rules, report.counts, report.uri, params.missing_service)
    check_messages(rules, params.departments, check_templates(params.message_templates), report.counts)
    state = check_state_location(params.state_uri, params.region, write=not params.dry_run)
    dropped = sum(p.effect == "endpoint dropped" for p in contacts.problems)
    first = f" (first: {contacts.problems[0]})" if contacts.problems else ""
    return [
        f"checked contacts {params.contacts_uri}: {len(contacts.contacts)} contacts, "
        f"{len(contacts.rejected_rows)} rows rejected, {dropped} invalid emails or phones dropped{first}",
        f"checked report {params.report_uri}: {report.status}, {len(report.counts)} services",
        f"checked alert state {params.state_uri}: {len(state.rules)} rules, "
        f"newest period {state.latest_period or 'none'}",
    ]


def within(seconds: float, check: Callable[[], list[str]]) -> list[str]:
    """Run the pre-run check with the notebooks' cell timeout: a check that would outlast a cell
    must stop the run before anything changes, not let notebook 3 time out after 1 and 2 did."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["lines"] = check()
        except BaseException as err:  # handed to the caller's thread below
            outcome["error"] = err

    thread = threading.Thread(target=run, name="pre-run check", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():  # a daemon thread: it ends with the process, which stops here
        raise SourceError(
            f"the inputs could not be read and checked within {seconds:g} s (execution_timeout); "
            "nothing was changed. Is the report or the contacts file far larger than usual?"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["lines"]
