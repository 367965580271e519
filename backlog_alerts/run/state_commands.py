"""`backlog-alerts state show | rebuild | forget` and `topics adopt`: the recovery steps the notices name.

Each takes the alert state's lock, as a run does, and writes the state only over the version it read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from backlog_alerts.errors import EXIT_OK
from backlog_alerts.io import aws, locations
from backlog_alerts.io.locks import this_process
from backlog_alerts.run.plan import RunPlan, plan_run
from backlog_alerts.run.preflight import topic_marks
from backlog_alerts.run.recipients import NoEmulatorError
from backlog_alerts.state.document import AlertState, StateError
from backlog_alerts.state.ledger import known_message_ids, merged
from backlog_alerts.state.store import StateStore, open_state
from backlog_alerts.sync.marks import Mark, foreign, owner_tags, tag_checked
from backlog_alerts.sync.topics import topic_names
from backlog_alerts.trail.lock import acquire, release, state_lock_uri
from backlog_alerts.trail.manifest import now
from backlog_alerts.trail.rebuild import assumed_from_marks, read_trail, rebuilt

Say = Callable[[str], None]


@contextmanager
def locked_state(params_path: str | Path) -> Iterator[tuple[RunPlan, StateStore]]:
    """The plan and its alert state, read under the state's lock (a run waits for it, and it for a run)."""
    plan = plan_run(params_path)
    params = plan.params
    if params.target == "local" and not os.environ.get("AWS_ENDPOINT_URL"):
        raise NoEmulatorError(
            "target: local needs the emulator the runs use: set AWS_ENDPOINT_URL (`make emulator` prints it)"
        )
    uri = state_lock_uri(params.state_uri)
    holder = {"run_id": "backlog-alerts state", "started_at": now(), **this_process()}
    acquire(uri, holder, wait=params.lock_wait)
    try:
        yield plan, open_state(params.state_uri, params.region)
    finally:
        release(uri)


def show(params_path: str | Path, say: Say) -> int:
    """The state in a few lines: its deployment, what it heard lately, and whether it is behind."""
    with locked_state(params_path) as (plan, store):
        state, marks = store.state, topic_marks(plan.params)
        say(f"alert state {store.uri}: {'found' if store.found else 'none yet'}")
        say(f"deployment: {state.deployment or '(none yet)'}; written {state.generation} time(s)")
        say(f"periods checked: {', '.join(state.checked[-6:]) or 'none'}")
        months = sorted(state.counts)  # what rules over months and rises decide on
        say(f"counts kept: {f'{len(months)} month(s), {months[0]} to {months[-1]}' if months else 'none'}")
        for entry in sorted(state.heard, key=lambda h: (h.period, h.topic, h.service))[-20:]:
            name = entry.topic.rsplit(":", 1)[-1]
            sent = entry.message_id or "-"
            say(f"  {entry.period} {name}: {entry.service} {entry.tier} ({sent}, {entry.how})")
        known = known_message_ids(state)
        for mark in marks.values():
            last = mark.last_send
            status = (
                "another deployment's" if mark in foreign(marks, state.deployment) else "this deployment's"
            )
            heard = f"; last alert {last.message_id} ({last.period})" if last else ""
            behind = " NOT IN THE STATE" if last and last.message_id not in known else ""
            say(f"topic {mark.name}: {status}{heard}{behind}")
    return EXIT_OK


def rebuild(params_path: str | Path, trail: str | None, say: Say) -> int:
    """What the state lacks, from the trail (the params' output folder, or `trail`) and the topics'
    marks; a state with no deployment yet takes the one its topics carry."""
    with locked_state(params_path) as (plan, store):
        location = locations.normalize(trail) if trail else plan.location
        marks = topic_marks(plan.params)
        names = topic_names(list(plan.params.departments), plan.params.ops_topic, plan.params.namespace)
        arns = {d: marks[n].arn for d, n in names.items() if n in marks}
        deployment = store.state.deployment or _topics_deployment(marks)
        others = foreign(marks, deployment)
        if others:
            raise StateError(
                f"topic(s) {', '.join(m.name for m in others)} carry another deployment's id than "
                f"{deployment}: that is a hand-over, not a rebuild (backlog-alerts topics adopt)"
            )
        record = read_trail(location, arns, deployment)
        before = len(store.state.heard)
        state = store.rewrite(lambda current: rebuilt(current, record, marks.values(), deployment))
        assumed = sum(h.how.startswith("assumed") for h in state.heard)
        say(
            f"alert state {store.uri} rebuilt for deployment {state.deployment}: {len(state.heard) - before} "
            f"entries added ({record.runs} run(s) of the trail at {location}; {assumed} assumed from the "
            f"topics' marks), newest period {state.latest_period or 'none'}"
        )
    return EXIT_OK


def _topics_deployment(marks: dict[str, Mark]) -> str:
    ids = {m.deployment for m in marks.values() if m.deployment}
    if len(ids) > 1:
        raise StateError(f"the topics carry more than one deployment's id ({', '.join(sorted(ids))})")
    return ids.pop() if ids else ""


def forget(
    params_path: str | Path, period: str, department: str | None, service: str | None, say: Say
) -> int:
    """Forget what was heard in a period (of one department's topic, or one service): it is sent
    again on the next run that finds it firing. With neither, the period itself was checked by
    mistake: it is no longer the newest checked, so an older report is not stale."""
    with locked_state(params_path) as (plan, store):
        params = plan.params
        if department and department not in params.departments:
            raise StateError(f"--department {department!r} is not one of {', '.join(params.departments)}")
        topic = topic_names([department], namespace=params.namespace)[department] if department else ""

        def matches(entry_topic: str, entry_service: str) -> bool:
            return (not topic or entry_topic.rsplit(":", 1)[-1] == topic) and (
                not service or entry_service == service
            )

        def change(state: AlertState) -> int:
            gone = [h for h in state.heard if h.period == period and matches(h.topic, h.service)]
            state.heard = [h for h in state.heard if h not in gone]
            state.forgotten = sorted({*state.forgotten, *(h.message_id for h in gone if h.message_id)})
            if not department and not service:
                state.checked = [p for p in state.checked if p != period]
                state.unchecked = sorted({*state.unchecked, period})
                state.counts.pop(period, None)  # a month checked by mistake: its counts were a mistake too
            return len(gone)

        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])|count:\d+", period):
            raise StateError(f"--period {period!r} is not YYYY-MM (or count:N for a report without a period)")
        found = [h for h in store.state.heard if h.period == period and matches(h.topic, h.service)]
        whole_period = not department and not service
        if not found and not (whole_period and period in store.state.checked):
            heard = sorted(
                f"{h.topic.rsplit(':', 1)[-1]} {h.service} {h.tier}"
                for h in store.state.heard
                if h.period == period
            )
            raise StateError(
                f"nothing to forget: no alert heard in {period} matches"
                + (f" (heard then: {'; '.join(heard)})" if heard else " (none was heard then)")
                + ("" if not whole_period else f", and {period} was not checked")
            )
        count = store.update(change)
        if not department and not service:  # the topics' own record of the newest period checked, too
            sns = aws.client("sns", params.region)
            for mark in topic_marks(params).values():
                if mark.checked > store.state.latest_period:
                    tag_checked(sns, mark.arn, store.state.latest_period)
        what = " and ".join(filter(None, [f"department {department}" if department else "", service or ""]))
        say(
            f"forgot {count} alert(s) heard in {period}{' for ' + what if what else ''}"
            + ("" if department or service else f"; {period} is no longer a checked period")
        )
    return EXIT_OK


def adopt(params_path: str | Path, say: Say) -> int:
    """Hand this params file's topics to its deployment on purpose: each is marked as this deployment's;
    what each heard last (under whichever deployment) counts as heard, so nothing is sent twice."""
    with locked_state(params_path) as (plan, store):
        params = plan.params
        marks = topic_marks(params)
        if not marks:
            raise StateError("none of this params file's topics exist yet: nothing to adopt")

        def change(state: AlertState) -> None:
            heard = assumed_from_marks(marks.values(), known_message_ids(state))
            adopted = AlertState(
                deployment=state.deployment,
                heard=[replace(h, how="heard before the hand-over") for h in heard],
            )
            new = merged(state, adopted, store.uri)
            state.heard = new.heard

        store.update(change)
        sns = aws.client("sns", params.region)
        for mark in marks.values():
            tags = owner_tags(store.state.deployment, store.uri)
            sns.tag_resource(ResourceArn=mark.arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
            was = mark.deployment or "no deployment"
            say(f"topic {mark.name}: was {was}, now deployment {store.state.deployment}")
    return EXIT_OK
