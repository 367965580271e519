"""Rebuilding what an alert state forgot, from the audit trail and from the topics' own marks.

Each alert check records what its topics heard (the `heard` fact; older runs, each sent alert with its
period), so the trail can give back every entry a lost or rolled-back state no longer has. What the
trail cannot give (its run folders removed, or a notebook run by hand), the topic's mark still says in
part: the period of its last alert and the highest tier heard then. That is kept as "every service's
alerts up to that tier count as heard for that period": an escalation in that period may be lost,
but no alert goes out twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from backlog_alerts.io import locations, storage
from backlog_alerts.state.document import ANY_SERVICE, KEPT_PERIODS, RESOLVED, AlertState, Heard, is_dated
from backlog_alerts.state.ledger import known_message_ids, merged
from backlog_alerts.sync.marks import Mark
from backlog_alerts.trail.executed import read_facts
from backlog_alerts.trail.recorded import ALERT_CHECK, TOPIC_SETUP
from backlog_alerts.trail.runs import run_folders

SENT_ACTIONS = ("publish", "resolved")


@dataclass
class TrailRecord:
    """What a trail says was heard, which periods were checked, and by which deployments."""

    location: str
    heard: list[Heard] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # period -> watched service -> count
    deployments: set[str] = field(default_factory=set)
    runs: int = 0


def _heard_of_old_run(facts: Mapping[str, Mapping], run_id: str, arns: Mapping[str, str]) -> list[Heard]:
    """A run from before the `heard` fact: each alert it sent, on its department's topic then."""
    topics = {t["department"]: t["arn"] for t in facts.get(TOPIC_SETUP, {}).get("topics", [])}
    check = facts.get(ALERT_CHECK, {})
    found = []
    for a in check.get("alerts", []):
        topic = a.get("topic") or topics.get(a["department"]) or arns.get(a["department"], "")
        period = a.get("period") or a.get("report_key", "")
        if a.get("action") not in SENT_ACTIONS or not a.get("message_id") or not topic or not period:
            continue
        found.append(
            Heard(
                topic,
                a["service_name"],
                RESOLVED if a["action"] == "resolved" else a["severity"],
                period,
                message_id=a["message_id"],
                run_id=run_id,
                count=a.get("count"),
                rule=a["rule"],
                department=a["department"],
                how=f"rebuilt from the trail (run {run_id})",
            )
        )
    return found


def _counts_of(check: Mapping[str, Any]) -> dict[str, int]:
    """The watched counts a run recorded (`counts`), as the history of counts keeps them; anything else
    in a tampered or older record is left out."""
    recorded = check.get("counts")
    return {
        c["service_name"]: c["count"]
        for c in (recorded if isinstance(recorded, list) else [])
        if isinstance(c, dict) and isinstance(c.get("service_name"), str) and type(c.get("count")) is int
    }


def read_trail(location: str, arns: Mapping[str, str], deployment: str = "") -> TrailRecord:
    """Every deployment the run folders at `location` name, and the heard entries and checked periods
    of the runs of `deployment` (with none given, of the one deployment the trail names, if it names
    one): another deployment's runs in the same folder (the demo's, another city's) are left out.
    Runs recorded before deployments were count as any deployment's. `arns` (department -> topic ARN)
    places alerts of runs that did not record their topics."""
    runs = []
    record = TrailRecord(location)
    if not storage.is_folder(location):
        return record
    known = {f.name for f in fields(Heard)}
    for run_id in run_folders(location).run_ids:  # only folders of the run-id form, as audit reads
        folder = locations.join(location, run_id)
        manifest = storage.read_json(locations.join(folder, "manifest.json"))
        if not isinstance(manifest, dict):
            continue
        if manifest.get("deployment"):
            record.deployments.add(manifest["deployment"])
        runs.append((run_id, folder, manifest.get("deployment", "")))
    mine = deployment or (next(iter(record.deployments)) if len(record.deployments) == 1 else "")
    for run_id, folder, of in runs:
        notebook = locations.join(folder, f"{ALERT_CHECK}.ipynb")
        if (of and of != mine) or not storage.exists(notebook):
            continue
        facts = {ALERT_CHECK: read_facts(notebook)}
        if facts[ALERT_CHECK].get("run", {}).get("dry_run"):
            continue  # a preview: it checked and sent nothing
        record.runs += 1
        setup = locations.join(folder, f"{TOPIC_SETUP}.ipynb")
        if storage.exists(setup):
            facts[TOPIC_SETUP] = read_facts(setup)
        check = facts[ALERT_CHECK]
        if check.get("ledger", {}).get("deployment"):
            record.deployments.add(check["ledger"]["deployment"])
        report = check.get("report", {})
        if report.get("status") == "ok" and is_dated(report.get("period", "")):
            record.checked.add(report["period"])
            record.counts[report["period"]] = _counts_of(check)  # the newest run of a period: the last word
        if "heard" in check:
            record.heard += [
                Heard(
                    **{
                        **{k: v for k, v in h.items() if k in known},
                        "how": f"rebuilt from the trail (run {run_id})",
                    }
                )
                for h in check["heard"]
            ]
        else:
            record.heard += _heard_of_old_run(facts, run_id, arns)
    return record


def assumed_from_marks(marks: Iterable[Mark], known: set[str]) -> list[Heard]:
    """For each topic whose last alert (of a dated period, or of a report without one) is still
    unknown: every service's alerts up to the tier its mark names count as heard for that period."""
    return [
        Heard(
            m.arn,
            ANY_SERVICE,
            send.tier,
            send.period,
            message_id=send.message_id,
            run_id=send.run_id,
            how="assumed from the topic's mark (the trail has no record of it)",
        )
        for m in marks
        for send in m.last_sends
        if send.message_id not in known
    ]


def rebuilt(
    state: AlertState, trail: TrailRecord | None, marks: Iterable[Mark], deployment: str
) -> AlertState:
    """The state with what the trail recorded, then what the topics' marks still say, merged in."""
    marks = list(marks)
    found = AlertState(
        deployment=deployment,
        heard=list(trail.heard) if trail else [],
        checked=sorted(
            (trail.checked if trail else set())
            | {m.last_send.period for m in marks if m.last_send and is_dated(m.last_send.period)}
            | {m.checked for m in marks if is_dated(m.checked)}
        ),
        counts=dict(sorted(trail.counts.items())[-KEPT_PERIODS:]) if trail else {},
    )
    result = merged(state, found, "the rebuilt alert state")
    extra = assumed_from_marks(marks, known_message_ids(result))
    return merged(result, AlertState(deployment=result.deployment, heard=extra), "the rebuilt alert state")
