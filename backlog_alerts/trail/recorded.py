"""What a run's notebooks recorded, read through one view: the run summary, `audit` and the HTML
index all ask it, so a fact's key is spelled in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOPIC_SETUP, SYNC, ALERT_CHECK = "01_topic_setup", "02_subscription_sync", "03_alert_check"
SYNC_COLUMNS = ("add", "remove", "held", "update", "unchanged", "pending", "rejected_rows")
CHANGING = ("add", "remove", "update")  # the planned actions that call SNS when applied
# How far the sync got: what its trail can say about the subscriptions.
APPLIED, DRY_RUN, NOT_CHANGED, UNKNOWN = "applied", "dry run", "not changed", "unknown"


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Per-department rows of a plan or an outcome, summed."""
    return {column: sum(row.get(column, 0) for row in rows) for column in SYNC_COLUMNS}


def unknown_changes(planned: dict[str, int]) -> str:
    """What a sync stopped between its plan and its outcome may have done: one wording for the
    run summary, `audit` and the run page."""
    return (
        "unknown (the sync stopped while applying its plan): up to "
        f"{planned['add']} adds, {planned['remove']} removals and {planned['update']} filter updates "
        "may have been made; the next run's plan compares the topics with the contacts file again "
        "and finishes or corrects them"
    )


@dataclass(frozen=True)
class RecordedRun:
    """The facts of each executed notebook, by notebook name without `.ipynb`."""

    facts: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, run: dict[str, Any]) -> RecordedRun:
        """The view of a run as `audit.load_run` reads it from the trail."""
        return cls({name: notebook["facts"] for name, notebook in run["notebooks"].items()})

    @property
    def contacts_file(self) -> dict[str, Any]:
        """The contacts file's identity (uri, ETag, SHA-256) as the sync read it."""
        return self.facts.get(SYNC, {}).get("contacts_file", {})

    @property
    def changes(self) -> list[dict[str, Any]] | None:
        """The subscription changes the sync applied (endpoints masked); None when it applied none."""
        return self.facts.get(SYNC, {}).get("changes")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Each message as published: topic, Subject and texts."""
        return self.facts.get(ALERT_CHECK, {}).get("messages", [])

    @property
    def topics(self) -> list[dict[str, Any]]:
        return self.facts.get(TOPIC_SETUP, {}).get("topics", [])

    @property
    def sync_outcome(self) -> list[dict[str, Any]] | None:
        """One row per department; None when the sync stopped before applying its plan."""
        return self.facts.get(SYNC, {}).get("sync_outcome")

    @property
    def sync_totals(self) -> dict[str, int] | None:
        """Adds, removals, held removals, ... summed over the departments; 0 when the sync changed
        nothing, None when it stopped with its changes unknown (see `sync_status`)."""
        if self.sync_status == UNKNOWN:
            return None
        return _totals(self.sync_outcome or [])

    @property
    def sync_plan(self) -> list[dict[str, Any]] | None:
        """One row per department, recorded before the guard and apply cell; None when it got no plan."""
        return self.facts.get(SYNC, {}).get("sync_plan")

    @property
    def sync_planned(self) -> dict[str, int] | None:
        """The plan's totals; None when the sync got no plan."""
        plan = self.sync_plan
        return None if plan is None else _totals(plan)

    @property
    def sync_status(self) -> str:
        """`unknown` when the sync got past its removal guard (it recorded `applying`) with changes to
        make but recorded no outcome: stopped while applying, so up to the planned changes may have
        been made in SNS. A sync refused by its guard, or stopped before it, changed nothing."""
        if self.sync_outcome is not None:
            return DRY_RUN if self.sync_dry_run else APPLIED
        planned = self.sync_planned
        applying = "applying" in self.facts.get(SYNC, {})
        if self.sync_dry_run or not applying or not planned or not any(planned[c] for c in CHANGING):
            return NOT_CHANGED
        return UNKNOWN

    @property
    def sync_dry_run(self) -> bool:
        return bool(self.facts.get(SYNC, {}).get("run", {}).get("dry_run"))

    @property
    def endpoints_dropped(self) -> int:
        """Invalid emails and phones left out of the sync (their rows' other endpoints kept)."""
        return sum(
            p.get("effect") == "endpoint dropped" for p in self.facts.get(SYNC, {}).get("problems", [])
        )

    @property
    def reach(self) -> dict[str, dict[str, Any]]:
        """Per department published to: whom its topic reached when the alert check published (masked);
        empty for runs recorded before reach was."""
        return {r["department"]: r for r in self.facts.get(ALERT_CHECK, {}).get("reach", [])}

    @property
    def check_dry_run(self) -> bool:
        """The alert check was a dry run: it published nothing and told nobody."""
        return bool(self.facts.get(ALERT_CHECK, {}).get("run", {}).get("dry_run"))

    @property
    def coverage(self) -> dict[str, Any] | None:
        """What the alert check found keeping alerts from people, and what it told ops (None before
        the coverage notice existed, or when the check stopped before it)."""
        return self.facts.get(ALERT_CHECK, {}).get("coverage")

    @property
    def report(self) -> dict[str, Any]:
        return self.facts.get(ALERT_CHECK, {}).get("report", {})

    @property
    def report_notice(self) -> dict[str, Any] | None:
        return self.facts.get(ALERT_CHECK, {}).get("report_notice")

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """Each rule's outcome after publishing (empty when the check stopped before)."""
        return self.facts.get(ALERT_CHECK, {}).get("alerts", [])

    @property
    def verdicts(self) -> list[dict[str, Any]]:
        """The outcomes if the check got that far, else its decisions before publishing."""
        return self.alerts or self.facts.get(ALERT_CHECK, {}).get("decisions", [])

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The alerts and resolved notices that went out, with their MessageIds."""
        return [a for a in self.verdicts if a.get("message_id") and a["action"] in ("publish", "resolved")]
