"""The alert state document: what each topic heard, which periods were checked, and the notices told.

One JSON document per deployment. Its heart is the ledger of `Heard` entries: an alert is what a
director hears, so an entry is keyed by (topic, service, tier, report period); rule names, thresholds
and params files are not part of it. Version 1 documents (one record per rule name) are read and
converted by the alert check, which knows each rule's service, department and tier.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from backlog_alerts.errors import BacklogAlertsError

VERSION = 2
KEPT_SENDS = 1000  # the send log keeps the newest ones: enough to audit months of runs, bounded
KEPT_OPS_SENDS = 200  # the ops notice log keeps the newest ones (at most a few a day are sent)
KEPT_PERIODS = 36  # checked periods remembered (and heard entries and counts of periods this old kept)
KEPT_UNDATED = 500  # heard entries of reports without a period (one per count), newest kept
TIERS = ("warning", "critical")  # alert tiers in rising order: a higher one covers a lower one
RESOLVED = "resolved"  # the tier of a back-under-threshold notice
ANY_SERVICE = "*"  # a heard entry that covers every service of its topic (assumed from a topic's mark)
UNDATED = "count:"  # the period key of a report without a period: its count is the fact


class StateError(BacklogAlertsError, RuntimeError):
    """The state document cannot be read, written or trusted; the message names where it lives."""


def new_deployment_id() -> str:
    """A deployment's id, made when its state is first written; its topics carry it as a tag."""
    return f"d-{secrets.token_hex(8)}"


def is_dated(period: str) -> bool:
    return bool(period) and not period.startswith(UNDATED)


@dataclass(frozen=True)
class Heard:
    """One alert a topic heard: the identity (topic, service, tier, period) and how we know."""

    topic: str  # the topic's ARN
    service: str
    tier: str  # warning | critical | resolved
    period: str  # YYYY-MM, or `count:N` for a report without a period
    message_id: str = ""
    sent_at: str = ""
    run_id: str = ""
    count: int | None = None
    rule: str = ""  # the rule that sent it, for people; renaming it changes nothing
    department: str = ""
    how: str = "sent"  # sent | migrated | rebuilt from <where> | assumed from the topic's mark

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.topic, self.service, self.tier, self.period)


@dataclass
class AlertState:
    """The deployment's id, a write counter, the ledger of what was heard, the periods checked
    (periods only move forward), operator notices told (by kind, then condition), a log of sends, and
    one of ops notices sent, with the run that sent each (`audit` finds sends from runs that left no
    run folder; notices in their own log, so the ledger's readers of `sends` see alerts only), when the sync
    subscribed each email still pending (`sync.pending`), and the alerts and periods forgotten on
    purpose (known, so that a topic's mark of one does not make the state look lost, and left out of
    a rebuild from the trail), and each dated period's counts, the history that rules over several
    periods decide on (so a run needs no other report)."""

    deployment: str = ""
    generation: int = 0
    heard: list[Heard] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # dated periods checked, oldest first
    notices: dict[str, dict[str, str]] = field(default_factory=dict)
    sends: list[dict[str, Any]] = field(default_factory=list)
    ops_sends: list[dict[str, Any]] = field(default_factory=list)
    subscribed: dict[str, dict[str, str]] = field(default_factory=dict)
    legacy_rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # version 1, not yet converted
    forgotten: list[str] = field(default_factory=list)  # MessageIds forgotten on purpose (`state forget`)
    unchecked: list[str] = field(default_factory=list)  # periods checked by mistake, forgotten on purpose
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # YYYY-MM -> service -> count

    @property
    def latest_period(self) -> str:
        """The newest report period checked: a report for an older one is stale."""
        return self.checked[-1] if self.checked else ""

    @property
    def empty(self) -> bool:
        """Nothing was ever heard, checked or told: a first run, or a state that was lost."""
        return not (self.heard or self.checked or self.sends or self.legacy_rules or self.notices)

    def log_send(self, send: dict[str, Any]) -> None:
        """One message that went out: run id, time, topic, department, severity, rules, MessageId."""
        self.sends = [*self.sends, send][-KEPT_SENDS:]

    def log_ops_send(self, notice: dict[str, Any]) -> None:
        """One notice that went to the ops topic: run id, time, topic, kind, MessageId."""
        self.ops_sends = [*self.ops_sends, notice][-KEPT_OPS_SENDS:]

    def to_json(self) -> str:
        data = asdict(self)
        data["heard"] = [_compact(h) for h in self.heard]
        return json.dumps({"version": VERSION, **data}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, where: str) -> AlertState:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            version = data.get("version", 1)
            if version == 1:
                return _from_version_1(data)
            if version != VERSION:
                raise ValueError(f"version {version!r} is not one this backlog-alerts reads ({VERSION})")
            known = {f.name for f in fields(Heard)}
            return cls(
                deployment=str(data.get("deployment", "")),
                generation=int(data.get("generation", 0)),
                heard=[Heard(**{k: v for k, v in h.items() if k in known}) for h in data.get("heard", [])],
                checked=sorted(set(data.get("checked", []))),
                notices=dict(data.get("notices", {})),
                sends=list(data.get("sends", [])),
                ops_sends=list(data.get("ops_sends", [])),  # none in a state written before the log
                subscribed=dict(data.get("subscribed", {})),
                legacy_rules=dict(data.get("legacy_rules", {})),
                forgotten=list(data.get("forgotten", [])),
                unchecked=list(data.get("unchecked", [])),
                counts=_counts(data.get("counts", {})),  # none in a state written before the history
            )
        except (ValueError, TypeError, AttributeError) as err:
            raise StateError(f"{where}: not an alert state document ({err})") from err


REQUIRED = ("topic", "service", "tier", "period")


def _counts(value: Any) -> dict[str, dict[str, int]]:
    """The counts history as read: a mapping of YYYY-MM periods to whole counts by service, or refused."""
    if not isinstance(value, dict):
        raise TypeError(f"counts: {value!r} is not a mapping of periods")
    for period, counts in value.items():
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise ValueError(f"counts: {period!r} is not a YYYY-MM period")
        if not isinstance(counts, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in counts.values()
        ):
            raise TypeError(f"counts, {period}: {counts!r} is not a mapping of services to whole counts")
    return {period: dict(counts) for period, counts in sorted(value.items())}


def _compact(heard: Heard) -> dict[str, Any]:
    """An entry as saved: empty optional fields left out (the ledger is most of the document)."""
    return {k: v for k, v in asdict(heard).items() if k in REQUIRED or v not in ("", None)}


def _from_version_1(data: dict[str, Any]) -> AlertState:
    """A state written before the ledger: its per-rule records wait for the alert check to convert them
    (it knows each rule's service, department and tier); its newest period is kept."""
    rules = {name: dict(value) for name, value in data.get("rules", {}).items()}
    newest = data.get("latest_period") or max(
        (r.get("report_key", "") for r in rules.values() if is_dated(r.get("report_key", ""))), default=""
    )
    return AlertState(
        checked=[newest] if newest else [],
        notices=dict(data.get("notices", {})),
        sends=list(data.get("sends", [])),
        subscribed=dict(data.get("subscribed", {})),
        legacy_rules=rules,
    )
