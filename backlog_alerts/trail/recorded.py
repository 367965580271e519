"""What a run's notebooks recorded, read through one view: the run summary, `audit` and the HTML
index all ask it, so a fact's key is spelled in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOPIC_SETUP, SYNC, ALERT_CHECK = "01_topic_setup", "02_subscription_sync", "03_alert_check"
SYNC_COLUMNS = ("add", "remove", "held", "update", "unchanged", "pending", "rejected_rows")


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
    def sync_totals(self) -> dict[str, int]:
        """Adds, removals, held removals, ... summed over the departments (0 when nothing applied)."""
        rows = self.sync_outcome or []
        return {column: sum(row.get(column, 0) for row in rows) for column in SYNC_COLUMNS}

    @property
    def sync_dry_run(self) -> bool:
        return bool(self.facts.get(SYNC, {}).get("run", {}).get("dry_run"))

    @property
    def endpoints_dropped(self) -> int:
        """Invalid emails and phones left out of the sync (their rows' other endpoints kept)."""
        return sum(p["effect"] == "endpoint dropped" for p in self.facts.get(SYNC, {}).get("problems", []))

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
