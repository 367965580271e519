"""Before the first change to AWS: read the contacts file and the report as the notebooks will.

Topic setup and the sync change AWS before the alert check reads the report, so a bad report found
only in notebook 3 would leave a half-applied run. The runner reads both inputs first instead.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import papermill

from backlog_alerts.contacts import parse_contacts
from backlog_alerts.evaluation import evaluate
from backlog_alerts.report import load_report, request_settings
from backlog_alerts.rules import parse_rules
from backlog_alerts.sources import read_source


def effective_parameters(notebook: Path, given: dict[str, Any]) -> dict[str, Any]:
    """What the notebook will run with: its own defaults, overridden by the params file."""
    defaults = {
        name: ast.literal_eval(spec["default"])
        for name, spec in papermill.inspect_notebook(str(notebook)).items()
    }
    return {**defaults, **given}


def check_inputs(sync: dict[str, Any], alert: dict[str, Any]) -> list[str]:
    """Raise the error the notebooks would raise on a bad input; else one line per input, for the log."""
    departments = list(sync["departments"])
    contacts = parse_contacts(
        read_source(sync["contacts_uri"], sync["region"]),
        departments,
        sync["default_phone_region"],
        sync["on_invalid_row"],
        sync["max_contacts"],
    )
    report = load_report(
        alert["report_uri"],
        alert["region"],
        period=alert["report_period"],
        expected_period=alert["expected_period"],
        service_column=alert["service_column"],
        count_column=alert["count_column"],
        requests=request_settings(
            alert["report_kind"],
            alert["closed_statuses"],
            alert["min_age_days"],
            alert["include_duplicate_requests"],
        ),
    )
    if report.status == "ok":
        evaluate(
            parse_rules(alert["rules"], alert["departments"]),
            report.counts,
            report.uri,
            alert["missing_service"],
        )
    return [
        f"checked contacts {sync['contacts_uri']}: {len(contacts.contacts)} contacts, "
        f"{len(contacts.rejected_rows)} rows rejected",
        f"checked report {alert['report_uri']}: {report.status}, {len(report.counts)} services",
    ]
