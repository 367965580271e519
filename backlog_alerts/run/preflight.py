"""Before the first change to AWS: everything a run can know without changing anything.

Topic setup and the sync change AWS before the alert check reads the report, so a bad report found
only in notebook 3 would leave a half-applied run. The runner reads both inputs first (keeping a
private copy of each, which the notebooks then read: a file replaced mid-run cannot change what the
run uses), renders every message with the real display names and counts, and checks the alert state:
that it can be read and written, that the topics are this deployment's, and that it is not behind
what the topics heard (a lost or restored state is rebuilt from the trail, never obeyed). All of it
within the notebooks' cell timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from backlog_alerts.alerting.evaluation import evaluate
from backlog_alerts.alerting.messages import check_messages, check_templates
from backlog_alerts.alerting.report import load_report, request_settings
from backlog_alerts.errors import SourceError, SourceMissing
from backlog_alerts.io import aws
from backlog_alerts.io.sources import pin_input, read_source
from backlog_alerts.run.model import Params
from backlog_alerts.run.plan import RunPlan
from backlog_alerts.state.document import is_dated
from backlog_alerts.state.ledger import LegacyRule, convert_legacy, known_message_ids
from backlog_alerts.state.store import StateStore, open_state
from backlog_alerts.sync.contacts import parse_contacts
from backlog_alerts.sync.marks import Mark, behind, behind_error, foreign, read_marks, refusal
from backlog_alerts.sync.topics import existing_topic_arns, topic_names
from backlog_alerts.trail.rebuild import TrailRecord, read_trail, rebuilt

STATE_AND_TOPICS = "alert state and topics"


@dataclass
class Checked:
    """What the pre-run check found: lines for the log, the deployment, the inputs' pins. While it
    runs, what it is checking and each input's identity (uri, ETag, SHA-256), so that a refused run
    can say exactly which input it refused."""

    lines: list[str] = field(default_factory=list)
    deployment: str = ""
    pins: dict[str, dict[str, str]] = field(default_factory=dict)
    checking: str = ""  # contacts | report | rules and messages | alert state and topics
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def refused(self, params: Params) -> dict[str, str]:
        """What the check was on when it stopped: the input's identity (empty hashes when it could not
        be read), or the alert state it was comparing with the topics."""
        uris = {
            "contacts": params.contacts_uri,
            "report": params.report_uri,
            STATE_AND_TOPICS: params.state_uri,
        }
        blank = {"uri": uris.get(self.checking, ""), "etag": "", "sha256": ""}
        return {"input": self.checking, **blank, **self.inputs.get(self.checking, {})}


def pin_inputs(params: Params, folder: Path, progress: Checked | None = None) -> dict[str, dict[str, str]]:
    """The contacts file and the report, each copied once into the run's private folder."""
    progress = progress or Checked()
    pins = {}
    for name, uri in (("contacts", params.contacts_uri), ("report", params.report_uri)):
        progress.checking = name
        try:
            pin = pin_input(uri, folder, params.region)
        except SourceMissing:
            continue  # the check below says what a missing input means
        pins[uri] = vars(pin)
        progress.inputs[name] = {"uri": uri, "etag": pin.etag, "sha256": pin.sha256}
    return pins


def check_inputs(
    params: Params, pins: dict[str, dict[str, str]] | None = None, progress: Checked | None = None
) -> tuple[list[str], str]:
    """Raise the error the notebooks would raise on a bad input; else one line per input, for the log,
    and the report's period."""
    progress = progress or Checked()
    progress.checking = "contacts"
    contacts = parse_contacts(
        read_source(params.contacts_uri, params.region, pins),
        list(params.departments),
        params.default_phone_region,
        params.on_invalid_row,
        params.max_contacts,
    )
    progress.checking = "report"
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
        pins=pins,
    )
    progress.checking = "rules and messages"
    rules = params.alert_rules
    if report.status == "ok":
        evaluate(rules, report.counts, report.uri, params.missing_service)
    check_messages(rules, params.departments, check_templates(params.message_templates), report.counts)
    dropped = sum(p.effect == "endpoint dropped" for p in contacts.problems)
    first = f" (first: {contacts.problems[0]})" if contacts.problems else ""
    return [
        f"checked contacts {params.contacts_uri}: {len(contacts.contacts)} contacts, "
        f"{len(contacts.rejected_rows)} rows rejected, {dropped} invalid emails or phones dropped{first}",
        f"checked report {params.report_uri}: {report.status}, {len(report.counts)} services"
        + (f", period {report.period}" if report.period else ", no period")
        + (f" ({report.note})" if report.status == "ok" and report.note else ""),
    ], report.period if report.status == "ok" else ""


def topic_marks(params: Params) -> dict[str, Mark]:
    """The marks of the topics this params file manages, those that exist."""
    sns = aws.client("sns", params.region)
    arns = existing_topic_arns(sns)
    names = topic_names(list(params.departments), params.ops_topic, params.namespace)
    return read_marks(sns, {n: arns[n] for n in names.values() if n in arns})


def check_state(plan: RunPlan) -> tuple[list[str], str, str]:
    """The alert state against the topics (see `reconcile`); lines for the log, the deployment, and
    the newest period checked."""
    params = plan.params
    store = open_state(params.state_uri, params.region)
    marks = topic_marks(params)
    names = topic_names(list(params.departments), params.ops_topic, params.namespace)
    arns = {d: marks[name].arn for d, name in names.items() if name in marks}
    lines = [] if params.dry_run else convert_version_1(store, plan, arns)
    lines += reconcile(
        store,
        marks,
        lambda deployment: read_trail(plan.location, arns, deployment),
        dry_run=params.dry_run,
        hint=plan.params_hint,
    )
    state = store.state
    lines.append(
        f"checked alert state {params.state_uri}: deployment {state.deployment or '(new)'}, "
        f"{len(state.heard)} alert(s) heard, newest period {state.latest_period or 'none'}"
    )
    return lines, state.deployment, state.latest_period


def convert_version_1(store: StateStore, plan: RunPlan, arns: Mapping[str, str]) -> list[str]:
    """A state written before the ledger becomes one, by what its trail recorded of each alert (the
    service, department and tier it was sent for), else by the send log and today's rules."""
    if not store.state.legacy_rules:
        return []
    old_runs = read_trail(plan.location, arns)
    recorded = {
        (h.message_id, h.rule): LegacyRule(h.service, h.department, h.tier)
        for h in old_runs.heard
        if h.message_id and h.rule
    }
    rules = {r.name: LegacyRule(r.service_name, r.department, r.severity) for r in plan.params.alert_rules}
    lost = store.update(lambda state: convert_legacy(state, rules, arns, recorded))
    return [
        f"alert state: converted from its version-1 form by what {old_runs.runs} run(s) of the trail "
        "recorded and its send log"
        + (f"; dropped (no record, no such rule now): {', '.join(lost)}" if lost else "")
    ]


def reconcile(
    store: StateStore,
    marks: Mapping[str, Mark],
    trail: Callable[[str], TrailRecord],
    *,
    dry_run: bool,
    hint: str,
) -> list[str]:
    """Before any change: the topics are this deployment's, and the state is not behind them.

    A state that is missing while the topics carry a deployment's id is that deployment's lost state
    only if the run's own trail recorded that deployment: then it is rebuilt from that deployment's
    runs; else refused (it may be another city's topics). A state behind its topics' marks is rebuilt
    from the trail (`trail(deployment)` reads it) and the marks. A dry run rebuilds nothing and
    refuses instead, with the command that mends it. Otherwise the state is written once (proving it
    can be, and naming a new deployment)."""
    lines = []
    others = foreign(marks, store.state.deployment)
    theirs = {m.deployment for m in others}
    where = store.uri
    if others and not store.state.deployment and not dry_run and len(theirs) == 1:
        mine = next(iter(theirs))
        record = trail(mine)
        if mine in record.deployments:  # our own trail: this state was lost
            store.rewrite(lambda state: rebuilt(state, record, marks.values(), mine))
            lines.append(
                f"alert state: {where} was missing, but the topics and the trail at {record.location} are "
                f"deployment {mine}: rebuilt from {record.runs} run(s) of the trail and the topics' marks"
            )
            others = []
    if others:
        raise refusal(others, store.state.deployment, where, hint)
    late = behind(marks, known_message_ids(store.state), store.state.latest_period)
    if late:
        if dry_run:
            raise behind_error(late, where, hint, known_message_ids(store.state))
        record = trail(store.state.deployment)
        store.rewrite(lambda state: rebuilt(state, record, marks.values(), state.deployment))
        lines.append(
            f"alert state: {where} was behind what topic(s) {', '.join(m.name for m in late)} heard (lost, "
            f"or restored from an old copy): rebuilt from {record.runs} run(s) of the trail at "
            f"{record.location} and the topics' marks"
        )
    if not dry_run:
        store.check_writable()  # a new state gets its deployment's id
    return lines


def check_run(plan: RunPlan, pins_folder: Path | None = None, progress: Checked | None = None) -> Checked:
    """The whole pre-run check: inputs (pinned into `pins_folder` when given, else into a folder of
    the check's own, so it checks the bytes it fingerprinted), then the state. `progress` is filled
    in as it goes: a refused run records from it what was refused."""
    checked = progress or Checked()
    with ExitStack() as stack:
        folder = pins_folder or Path(stack.enter_context(TemporaryDirectory(prefix="backlog-alerts-check-")))
        pins = pin_inputs(plan.params, folder, checked)
        lines, period = check_inputs(plan.params, pins, checked)
    checked.checking = STATE_AND_TOPICS
    state_lines, deployment, newest = check_state(plan)
    if is_dated(period) and period < newest:  # the alert check will call it stale, and alert nobody
        lines[-1] += f" (stale: {newest} was already checked; nobody will be alerted on it)"
    checked.lines, checked.deployment, checked.checking = lines + state_lines, deployment, ""
    checked.pins = pins if pins_folder is not None else {}
    return checked


def within(seconds: float, check: Callable[[], Any]) -> Any:
    """Run the pre-run check with the notebooks' cell timeout: a check that would outlast a cell
    must stop the run before anything changes, not let notebook 3 time out after 1 and 2 did."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = check()
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
    return outcome["result"]
