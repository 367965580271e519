"""The alert ledger over sequences of runs: once per period, whatever happens to rules, reports, state
and runs.

Each run is what `backlog-alerts run` does for the alert state, in the same order and with the same
package calls: the pre-run reconciliation (`preflight.reconcile`: the topics are this deployment's,
and a lost or restored state is rebuilt from the trail), the topics marked as the deployment's, then
notebook 03's steps (guard, report, decisions, messages, publish under the state's lock). SNS is an
in-memory stand-in for Publish and the topic tags, and the trail is the `heard` facts each run
records; the runs against the emulator are in tests/integration/test_ledger_runs.py.

What a director hears is observed at the stand-in, as (topic, service, tier, period), and checked
against the invariants of issue 22, not against the state:
- nothing twice: each tier of a service reaches a topic at most once per period, and never after a
  higher tier of that period;
- nothing lost: after a run on a current period, the highest tier that fires and is not muted has
  reached the department's topic for that period (now or before);
- a mute silences only what it names; a stale period alerts nobody; another city is refused.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from backlog_alerts.alerting.evaluation import evaluate, plan_actions
from backlog_alerts.alerting.messages import DEFAULT_TEMPLATES
from backlog_alerts.alerting.mutes import parse_mutes
from backlog_alerts.alerting.publish import build_messages, publish_and_record
from backlog_alerts.alerting.report import load_report
from backlog_alerts.alerting.report_checks import against_state
from backlog_alerts.alerting.rules import SEVERITIES, parse_rules
from backlog_alerts.run.preflight import reconcile
from backlog_alerts.state.document import Heard
from backlog_alerts.state.store import open_state
from backlog_alerts.sync.marks import OwnershipError, StateBehindError, owner_tags, read_marks
from backlog_alerts.sync.ownership import guard_topics
from backlog_alerts.sync.topics import topic_name
from backlog_alerts.trail.lock import run_lock, state_lock
from backlog_alerts.trail.rebuild import TrailRecord

DEPARTMENTS = {"streets": "Streets", "trash": "Trash"}
SERVICES = ("Pothole", "Illegal Dumping")
PERIODS = ("2019-01", "2019-02", "2019-03", "2019-04")
TODAY = date(2019, 3, 15)
MONTHS = ("jan", "feb", "mar", "apr")
FULL = ("January", "February", "March", "April")
FORMS = (
    "{y}/{mon}/final_report.csv",
    "{y}/{m}/final_report.csv",
    "exports/{y}-{m}.csv",
    "monthly/{y}{m}/report.csv",
    "exports/{m}-{y}/report.csv",
    "exports/{mon}-{y}.csv",
    "exports/{Month} {y}/report.csv",
)


class FakeSns:
    """Publish and topic tags, as SNS answers them; every publish is kept, to be read as a director."""

    def __init__(self) -> None:
        self.tags: dict[str, dict[str, str]] = {}
        self.published: list[dict] = []
        self.ids = itertools.count(1)

    def arn(self, name: str) -> str:
        arn = f"arn:aws:sns:us-east-1:123456789012:{name}"
        self.tags.setdefault(arn, {})
        return arn

    def publish(self, **call) -> dict:
        message_id = f"m-{next(self.ids)}"
        self.published.append({"MessageId": message_id, **call})
        return {"MessageId": message_id}

    def tag_resource(self, ResourceArn: str, Tags: list[dict]) -> None:  # noqa: N803 - boto3's names
        self.tags[ResourceArn].update({t["Key"]: t["Value"] for t in Tags})

    def list_tags_for_resource(self, ResourceArn: str) -> dict:  # noqa: N803
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags[ResourceArn].items()]}


@dataclass
class Deployment:
    """One params file: its rules, mutes, namespace, state and trail (the runs' `heard` facts)."""

    root: Path
    state_uri: str
    namespace: str = ""
    rules: list[dict] = field(default_factory=list)
    mutes: list[dict] = field(default_factory=list)
    notify_resolved: bool = True
    trail: list[dict] = field(default_factory=list)

    def topics(self, sns: FakeSns) -> dict[str, str]:
        return {d: sns.arn(topic_name(d, self.namespace)) for d in DEPARTMENTS}

    def trail_record(self, deployment: str) -> TrailRecord:
        """What `trail.rebuild.read_trail` gives: the deployments named, the runs of `deployment`."""
        record = TrailRecord(str(self.root / "trail"))
        for run in self.trail:
            record.deployments.add(run["deployment"])
            if run["deployment"] != deployment:
                continue
            record.runs += 1
            record.heard += [Heard(**h) for h in run["heard"]]
            if run["status"] == "ok":
                record.checked.add(run["period"])
        return record


def write_report(path: Path, counts: dict[str, int], variant: int) -> None:
    """The same counts as people's tools re-export them: row order, line ends, BOM, spacing."""
    rows = list(counts.items())[:: -1 if variant % 2 else 1]
    newline = "\r\n" if variant % 3 == 1 else "\n"
    text = newline.join(["service_name,count", *(f"{s}{' ' * (variant % 2)},{c}" for s, c in rows)])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" if variant % 4 == 3 else "").encode() + (text + newline).encode())


def report_path(root: Path, period: str, form: int) -> Path:
    year, month = period.split("-")
    key = FORMS[form].format(y=year, m=month, mon=MONTHS[int(month) - 1], Month=FULL[int(month) - 1])
    return root / "reports" / key


@dataclass
class Planned:
    """Notebook 03 up to its messages: what it would publish (read before another run, by hand)."""

    store: object
    report: object
    decisions: list
    messages: list
    marks: dict
    run_id: str


def plan_check(sns: FakeSns, deployment: Deployment, uri: str, run_id: str) -> Planned:
    """Notebook 03's cells up to the messages (guard, report, decisions, messages)."""
    topics = deployment.topics(sns)
    store = open_state(deployment.state_uri)
    marks = guard_topics(sns, {a.rsplit(":", 1)[1]: a for a in topics.values()}, store, sending=True)
    rules = parse_rules(deployment.rules, DEPARTMENTS)
    report = against_state(load_report(uri), store.state)
    decisions = []
    if report.status == "ok":
        decisions = plan_actions(
            evaluate(rules, report.counts, report.uri, "zero", report.period),
            store.state,
            topics,
            notify_resolved=deployment.notify_resolved,
            mutes=parse_mutes(deployment.mutes, DEPARTMENTS, rules),
            today=TODAY,
        )
    messages = build_messages(
        decisions, DEFAULT_TEMPLATES, DEPARTMENTS, report_uri=uri, period=report.period, run_id=run_id
    )
    return Planned(store, report, decisions, messages, marks, run_id)


def publish_check(sns: FakeSns, deployment: Deployment, planned: Planned) -> list:
    """Notebook 03's publish cell, under the state's lock, and the `heard` fact on the trail."""
    with state_lock(deployment.state_uri, planned.run_id, wait=0) as taken_here:
        alerts = publish_and_record(
            sns,
            planned.messages,
            planned.decisions,
            planned.store,
            report=planned.report,
            run_id=planned.run_id,
            marks={m.arn: m for m in planned.marks.values()},
            reread=taken_here,
            rerender=lambda fresh: build_messages(
                fresh,
                DEFAULT_TEMPLATES,
                DEPARTMENTS,
                report_uri="r",
                period=planned.report.period,
                run_id="r",
            )[0],
        )
    heard = [asdict(h) for h in planned.store.state.heard if h.run_id == planned.run_id and h.how == "sent"]
    deployment.trail.append(
        {
            "deployment": planned.store.state.deployment,
            "heard": heard,
            "status": planned.report.status,
            "period": planned.report.period,
        }
    )
    return alerts


def scheduled_run(sns: FakeSns, deployment: Deployment, uri: str, run_id: str) -> list:
    """A run as `backlog-alerts run` makes it, holding the state's lock throughout: reconcile (the
    pre-run check), mark the topics (01), then 03."""
    with run_lock(str(deployment.root / "locks"), state_uri=deployment.state_uri) as held:
        held.claim(run_id)
        store = open_state(deployment.state_uri)
        topics = deployment.topics(sns)
        marks = read_marks(sns, {a.rsplit(":", 1)[1]: a for a in topics.values()})
        reconcile(store, marks, deployment.trail_record, dry_run=False, hint="--params p.yaml")
        tags = owner_tags(store.state.deployment, store.uri)
        for arn in topics.values():  # topic setup marks each topic as this deployment's
            sns.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return publish_check(sns, deployment, plan_check(sns, deployment, uri, run_id))


def rules_for(names: dict[str, str], thresholds: dict[str, int], departments: dict[str, str]) -> list[dict]:
    """A warning and a critical tier for each service, under given names, thresholds, departments."""
    return [
        {
            "name": names[f"{service}/{severity}"],
            "service_name": service,
            "department": departments[service],
            "threshold": thresholds[service] * (2 if severity == "critical" else 1),
            "severity": severity,
        }
        for service in SERVICES
        for severity in SEVERITIES
    ]


class LedgerMachine(RuleBasedStateMachine):
    """Runs, edits of rules and mutes, re-exports, the state deleted, restored and moved, a second
    params file of the same deployment, another city, and a notebook run by hand beside a run."""

    @initialize()
    def setup(self):
        self.root = Path(tempfile.mkdtemp(prefix="ledger-"))
        self.sns = FakeSns()
        self.names = {
            f"{s}/{sev}": f"{s.lower().replace(' ', '_')}_{sev}" for s in SERVICES for sev in SEVERITIES
        }
        self.thresholds = {"Pothole": 100, "Illegal Dumping": 30}
        self.departments = {"Pothole": "streets", "Illegal Dumping": "trash"}
        self.city = Deployment(self.root, str(self.root / "state" / "alert_state.json"))
        self.city.rules = rules_for(self.names, self.thresholds, self.departments)
        self.backup: bytes | None = None
        self.checked: list[str] = []  # periods checked ok, for "stale"
        self.delivered: Counter = Counter()
        self.runs = itertools.count(1)
        self.seen = 0  # publishes already read

    # --- what a director hears ---------------------------------------------------------------

    def new_deliveries(self, period_of) -> list[tuple[str, str, str, str]]:
        """Publishes since the last look, as (topic, service, tier, period)."""
        found = []
        for call in self.sns.published[self.seen :]:
            attributes = call["MessageAttributes"]
            tier = attributes["severity"]["StringValue"]
            for service in json.loads(attributes["service"]["StringValue"]):
                found.append((call["TopicArn"], service, tier, period_of(service)))
        self.seen = len(self.sns.published)
        return found

    def hear(self, period: str, period_of=None) -> None:
        for topic, service, tier, heard_period in self.new_deliveries(period_of or (lambda _: period)):
            assert self.delivered[(topic, service, tier, heard_period)] == 0, (
                f"sent twice: {service} {tier} {heard_period}"
            )
            if tier in SEVERITIES:
                higher = SEVERITIES[SEVERITIES.index(tier) :]
                assert not any(self.delivered[(topic, service, t, heard_period)] for t in higher[1:]), (
                    f"{tier} after a higher tier of {service} in {period}"
                )
                assert not self.muted(service, tier), f"a muted {tier} of {service} was sent"
            self.delivered[(topic, service, tier, heard_period)] += 1

    def muted(self, service: str, tier: str) -> bool:
        rules = [r for r in self.city.rules if r["service_name"] == service and r["severity"] == tier]
        names = {m.get("rule") for m in self.city.mutes}
        department = self.departments[service]
        by_department = any(
            m.get("department") == department and m.get("severity", tier) == tier for m in self.city.mutes
        )
        return by_department or all(r["name"] in names for r in rules)

    def expect_nothing_lost(self, counts: dict[str, int], period: str) -> None:
        """The highest tier that fires and is not muted has reached the department's topic."""
        topics = self.city.topics(self.sns)
        for service in SERVICES:
            firing = [
                r["severity"]
                for r in self.city.rules
                if r["service_name"] == service
                and counts[service] > r["threshold"]
                and not self.muted(service, r["severity"])
            ]
            if not firing:
                continue
            top = max(firing, key=SEVERITIES.index)
            topic = topics[self.departments[service]]
            assert any(
                self.delivered[(topic, service, t, period)] for t in SEVERITIES[SEVERITIES.index(top) :]
            ), f"{service} {top} for {period} never reached {topic}"

    # --- runs -----------------------------------------------------------------------------------

    @rule(
        period=st.sampled_from(PERIODS),
        pothole=st.sampled_from([50, 150, 250]),
        dumping=st.sampled_from([10, 40, 70]),
        form=st.integers(0, len(FORMS) - 1),
        variant=st.integers(0, 11),
    )
    def run(self, period, pothole, dumping, form, variant):
        self.run_period(period, {"Pothole": pothole, "Illegal Dumping": dumping}, form, variant)

    def run_period(self, period, counts, form=0, variant=0):
        path = report_path(self.root, period, form)
        write_report(path, counts, variant)
        stale = self.stale(period)
        scheduled_run(self.sns, self.city, str(path), f"run-{next(self.runs)}")
        if self.heard_after(period, stale):
            self.expect_nothing_lost(counts, period)

    def stale(self, period: str) -> bool:
        return bool(self.checked) and period < max(self.checked)

    def heard_after(self, period: str, stale: bool) -> bool:
        """What the runs on a period's report sent: nothing if it was stale; True when it was current."""
        if stale:
            assert self.new_deliveries(lambda _: period) == [], f"a stale {period} alerted someone"
            return False
        self.hear(period)
        self.checked.append(period)
        return True

    @rule(first=st.sampled_from(PERIODS), later=st.sampled_from(PERIODS), pothole=st.sampled_from([150, 250]))
    def restore_an_old_backup_after_more_sends(self, first, later, pothole):
        """Last week's copy of the state put back after this week's alerts: detected, not obeyed."""
        first, later = sorted([first, later])
        self.run_period(first, {"Pothole": 50, "Illegal Dumping": 10})
        self.back_up_the_state()
        self.run_period(later, {"Pothole": pothole, "Illegal Dumping": 40})
        self.restore_the_backup()
        self.run_period(later, {"Pothole": pothole, "Illegal Dumping": 40})

    @rule(
        pothole=st.sampled_from([50, 150, 250]), dumping=st.sampled_from([10, 40]), variant=st.integers(0, 11)
    )
    def a_report_without_a_period(self, pothole, dumping, variant):
        """`latest/report.csv`: each count is its own fact, apart from every dated period."""
        counts = {"Pothole": pothole, "Illegal Dumping": dumping}
        path = self.root / "reports" / "latest" / "final_report.csv"
        write_report(path, counts, variant)
        scheduled_run(self.sns, self.city, str(path), f"run-{next(self.runs)}")
        self.hear("", lambda service: f"count:{counts[service]}")

    @rule(period=st.sampled_from(PERIODS), pothole=st.sampled_from([150, 250]))
    def a_notebook_by_hand_beside_a_scheduled_run(self, period, pothole):
        """03 run by hand plans, a scheduled run sends meanwhile, then the hand run publishes."""
        counts = {"Pothole": pothole, "Illegal Dumping": 40}
        path = report_path(self.root, period, 0)
        write_report(path, counts, 0)
        stale = self.stale(period)
        try:
            by_hand = plan_check(self.sns, self.city, str(path), f"hand-{next(self.runs)}")
        except (OwnershipError, StateBehindError):  # a lost state: refused by hand, rebuilt by a run
            return
        scheduled_run(self.sns, self.city, str(path), f"run-{next(self.runs)}")
        publish_check(self.sns, self.city, by_hand)
        if self.heard_after(period, stale):
            self.expect_nothing_lost(counts, period)

    @rule(period=st.sampled_from(PERIODS))
    def another_params_file_of_the_same_deployment(self, period):
        """A daily DAG's params: the same state and topics, other rule names; nothing twice."""
        daily = Deployment(self.root, self.city.state_uri, trail=self.city.trail)
        daily.rules = rules_for(
            {k: f"daily_{v}" for k, v in self.names.items()}, self.thresholds, self.departments
        )
        daily.mutes = [{**m, "rule": f"daily_{m['rule']}"} if "rule" in m else m for m in self.city.mutes]
        path = report_path(self.root, period, 2)
        counts = {"Pothole": 150, "Illegal Dumping": 40}
        write_report(path, counts, 0)
        stale = self.stale(period)
        scheduled_run(self.sns, daily, str(path), f"daily-{next(self.runs)}")
        if self.heard_after(period, stale):
            self.expect_nothing_lost(counts, period)

    @rule(period=st.sampled_from(PERIODS), namespace=st.sampled_from(["", "nyc"]))
    def another_city_in_the_same_account(self, period, namespace):
        """Its own state and contacts: refused on our topics; its own namespace works beside us."""
        other = Deployment(self.root, str(self.root / f"other-{namespace}" / "alert_state.json"), namespace)
        other.rules = rules_for(self.names, self.thresholds, self.departments)
        path = report_path(self.root, period, 0)
        write_report(path, {"Pothole": 250, "Illegal Dumping": 70}, 0)
        ours_marked = any(self.sns.tags[a] for a in self.city.topics(self.sns).values())
        if namespace == "" and ours_marked:
            before = len(self.sns.published)
            with pytest.raises(OwnershipError, match="Nothing was changed"):
                scheduled_run(self.sns, other, str(path), f"other-{next(self.runs)}")
            assert len(self.sns.published) == before, "refused before anything was sent"
        elif namespace == "nyc":
            scheduled_run(self.sns, other, str(path), f"other-{next(self.runs)}")
            ours = set(self.city.topics(self.sns).values())
            assert not {c["TopicArn"] for c in self.sns.published[self.seen :]} & ours
            self.seen = len(self.sns.published)

    # --- edits ----------------------------------------------------------------------------------

    @rule(
        key=st.sampled_from(sorted(f"{s}/{sev}" for s in SERVICES for sev in SEVERITIES)),
        new=st.text("abcxyz_", min_size=1, max_size=6),
    )
    def rename_a_rule(self, key, new):
        if new not in self.names.values():
            self.names[key] = new
            self.city.rules = rules_for(self.names, self.thresholds, self.departments)
            self.city.mutes = []  # a mute names a rule that may be gone

    @rule(service=st.sampled_from(SERVICES), threshold=st.sampled_from([20, 30, 100, 140]))
    def retune_a_threshold(self, service, threshold):
        self.thresholds[service] = threshold
        self.city.rules = rules_for(self.names, self.thresholds, self.departments)

    @rule(service=st.sampled_from(SERVICES), department=st.sampled_from(sorted(DEPARTMENTS)))
    def move_a_service(self, service, department):
        self.departments[service] = department
        self.city.rules = rules_for(self.names, self.thresholds, self.departments)
        self.city.mutes = []

    @rule(key=st.sampled_from(sorted(f"{s}/{sev}" for s in SERVICES for sev in SEVERITIES)))
    def mute_a_rule(self, key):
        self.city.mutes = [*self.city.mutes, {"rule": self.names[key], "until": "2019-12-31", "reason": "x"}]

    @rule(department=st.sampled_from(sorted(DEPARTMENTS)), severity=st.sampled_from(["", *SEVERITIES]))
    def mute_a_department(self, department, severity):
        mute = {"department": department, "until": "2019-12-31", "reason": "x"}
        self.city.mutes = [*self.city.mutes, {**mute, **({"severity": severity} if severity else {})}]

    @rule()
    def lift_the_mutes(self):
        self.city.mutes = []

    # --- the state ------------------------------------------------------------------------------

    @rule()
    def back_up_the_state(self):
        path = Path(self.city.state_uri)
        self.backup = path.read_bytes() if path.exists() else b""

    @precondition(lambda self: self.backup is not None)
    @rule()
    def restore_the_backup(self):
        path = Path(self.city.state_uri)
        if self.backup:
            path.write_bytes(self.backup)
        else:  # there was no state when it was backed up
            path.unlink(missing_ok=True)

    @rule()
    def delete_the_state(self):
        Path(self.city.state_uri).unlink(missing_ok=True)

    @rule(name=st.sampled_from(["moved", "elsewhere", "s"]))
    def move_the_state(self, name):
        old = Path(self.city.state_uri)
        new = self.root / name / f"state-{next(self.runs)}.json"
        new.parent.mkdir(parents=True, exist_ok=True)
        if old.exists():
            shutil.move(old, new)
        self.city.state_uri = str(new)

    def teardown(self):
        shutil.rmtree(getattr(self, "root", ""), ignore_errors=True)

    @invariant()
    def nothing_is_sent_twice(self):
        assert all(n == 1 for n in self.delivered.values())


LedgerMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


TestLedgerSequences = LedgerMachine.TestCase


# --- examples: what the rebuild gives back ------------------------------------------------------


def heard_now(sns: FakeSns, before: int) -> set[tuple[str, str]]:
    """(topic name, Subject) of what was published since `before`."""
    return {(c["TopicArn"].rsplit(":", 1)[1], c["Subject"]) for c in sns.published[before:]}


@pytest.fixture
def one_topic(tmp_path):
    """Both services on streets' topic, the state local, and its trail kept."""
    city = Deployment(tmp_path, str(tmp_path / "state" / "alert_state.json"))
    names = {f"{s}/{sev}": f"{s}_{sev}" for s in SERVICES for sev in SEVERITIES}
    city.rules = rules_for(names, {"Pothole": 100, "Illegal Dumping": 30}, dict.fromkeys(SERVICES, "streets"))
    return city, FakeSns()


def test_a_lost_state_is_rebuilt_exactly_from_the_trail_so_a_second_service_still_goes_out(
    tmp_path, one_topic
):
    city, sns = one_topic
    march = report_path(tmp_path, "2019-03", 0)
    write_report(march, {"Pothole": 150, "Illegal Dumping": 10}, 0)
    scheduled_run(sns, city, str(march), "run-1")
    Path(city.state_uri).unlink()
    write_report(march, {"Pothole": 150, "Illegal Dumping": 40}, 0)
    before = len(sns.published)
    scheduled_run(sns, city, str(march), "run-2")
    assert heard_now(sns, before) == {("streets_notifications", "[WARNING] Illegal Dumping backlog 40 > 30")}


def test_without_the_trail_the_topics_mark_holds_the_period_so_nothing_goes_out_twice(tmp_path, one_topic):
    city, sns = one_topic
    march = report_path(tmp_path, "2019-03", 0)
    write_report(march, {"Pothole": 150, "Illegal Dumping": 10}, 0)
    scheduled_run(sns, city, str(march), "run-1")
    first_deployment = open_state(city.state_uri).state.deployment
    Path(city.state_uri).unlink()
    city.trail.clear()  # the run folders are gone too: the lost state is not ours to claim ...
    with pytest.raises(OwnershipError, match="If this is d-.* and its state was lost, rebuild it"):
        scheduled_run(sns, city, str(march), "run-2")
    from backlog_alerts.trail.rebuild import rebuilt

    store = open_state(city.state_uri)  # ... until someone says so (`backlog-alerts state rebuild`)
    marks = read_marks(sns, {a.rsplit(":", 1)[1]: a for a in city.topics(sns).values()})
    store.rewrite(lambda state: rebuilt(state, None, marks.values(), first_deployment))
    write_report(march, {"Pothole": 150, "Illegal Dumping": 40}, 0)
    before = len(sns.published)
    scheduled_run(sns, city, str(march), "run-3")
    assert heard_now(sns, before) == set(), "the mark says streets heard a warning in March: held"
    april = report_path(tmp_path, "2019-04", 0)
    write_report(april, {"Pothole": 150, "Illegal Dumping": 40}, 0)
    scheduled_run(sns, city, str(april), "run-4")
    assert len(heard_now(sns, before)) == 1, "April is a new period: the digest goes out"


def test_an_undated_one_off_never_hides_the_last_dated_alert_a_topic_heard(tmp_path, one_topic):
    """A one-off run on `adhoc/report.csv` after February, then the state and its trail lost: the
    topics still say they heard February, so February is not sent again."""
    from backlog_alerts.trail.rebuild import rebuilt

    city, sns = one_topic
    feb, adhoc = report_path(tmp_path, "2019-02", 0), tmp_path / "reports" / "adhoc" / "report.csv"
    write_report(feb, {"Pothole": 150, "Illegal Dumping": 10}, 0)
    write_report(adhoc, {"Pothole": 150, "Illegal Dumping": 10}, 0)
    scheduled_run(sns, city, str(feb), "run-1")
    scheduled_run(sns, city, str(adhoc), "run-2")  # the same numbers, undated: sent, keyed by the count
    deployment = open_state(city.state_uri).state.deployment
    Path(city.state_uri).unlink()
    city.trail.clear()
    store = open_state(city.state_uri)  # `backlog-alerts state rebuild` with nothing on the trail
    marks = read_marks(sns, {a.rsplit(":", 1)[1]: a for a in city.topics(sns).values()})
    store.rewrite(lambda state: rebuilt(state, None, marks.values(), deployment))
    before = len(sns.published)
    scheduled_run(sns, city, str(feb), "run-3")
    assert heard_now(sns, before) == set(), "February is not sent again"
