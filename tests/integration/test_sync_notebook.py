"""The sync notebook against a moto server: it converges on the contacts file, and refuses to gut a topic."""

import csv
import io
import json

import papermill
import pytest
from helpers import ROOT, papermill_by_hand, subscribe_queue

from backlog_alerts.io.demo import demo_bytes
from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.executed import read_facts

pytestmark = pytest.mark.integration
DEMO = list(csv.DictReader(io.StringIO(demo_bytes("contacts.csv").decode())))
CRITICAL_ONLY = {"severity": ["critical"]}


def contacts_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run_sync(tmp_path, rows, **params):
    """Execute notebooks/02 with papermill on a contacts file; returns (error or None, facts)."""
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(contacts_csv(rows))
    output = tmp_path / "sync.ipynb"
    error = None
    try:
        papermill_by_hand(
            str(ROOT / "notebooks" / "02_subscription_sync.ipynb"),
            str(output),
            parameters={"contacts_uri": str(contacts), "state_uri": str(tmp_path / "state.json"), **params},
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
        )
    except papermill.PapermillExecutionError as err:
        error = err
    return error, read_facts(output)


def state(sns):
    """(topic name, protocol, endpoint) -> SubscriptionArn for every subscription in the emulator."""
    pages = sns.get_paginator("list_subscriptions").paginate()
    return {
        (s["TopicArn"].rsplit(":", 1)[1], s["Protocol"], s["Endpoint"]): s["SubscriptionArn"]
        for page in pages
        for s in page["Subscriptions"]
    }


def expected(rows):
    return sorted(
        (f"{r['Department']}_notifications", protocol, r[column])
        for r in rows
        for protocol, column in (("email", "Email"), ("sms", "Phone"))
    )


@pytest.fixture
def synced(sns, sqs, tmp_path):
    """Topics, a foreign SQS subscriber on trash, and the demo contacts already synced once."""
    topics = {t.department: t.arn for t in ensure_topics(sns, {"trash": "", "streets": ""})}
    subscribe_queue(sqs, sns, topics["trash"], "someone-elses-queue")
    error, _ = run_sync(tmp_path, DEMO)
    assert error is None
    return state(sns)


def people(subscriptions):
    return sorted(k for k in subscriptions if k[1] in ("email", "sms"))


def test_unchanged_file_makes_no_subscribe_or_unsubscribe_call(sns, synced, tmp_path):
    assert people(synced) == expected(DEMO)
    error, facts = run_sync(tmp_path, DEMO)
    assert error is None
    assert state(sns) == synced  # same subscriptions, same ARNs, the foreign queue included
    assert facts["api_calls"] == {
        "ListTopics": 1,
        "ListTagsForResource": 2,  # whose topics these are (the deployment's mark on each)
        "ListSubscriptionsByTopic": 2,
        "GetSubscriptionAttributes": 10,  # each email and SMS subscription's filter policy, Alerts or not
        "ListPhoneNumbersOptedOut": 1,  # whom an alert would reach: numbers that replied STOP
    }
    assert [(r["department"], r["unchanged"], r["unmanaged"]) for r in facts["sync_outcome"]] == [
        ("trash", 4, 1),
        ("streets", 6, 0),
    ]


def test_edited_file_adds_removes_and_moves(sns, synced, tmp_path):
    gone, moved = DEMO[1], DEMO[3]
    assert (gone["Department"], moved["Department"]) == ("trash", "streets")
    newcomer = {
        "Name": "Rosa Diaz",
        "Email": "rosa.diaz@example.gov",
        "Phone": "+16195550199",
        "Department": "streets",
    }
    rows = [r for r in DEMO if r is not gone and r is not moved] + [
        {**moved, "Department": "trash"},
        newcomer,
    ]
    error, facts = run_sync(tmp_path, rows, state_uri=str(tmp_path / "state.json"))
    assert error is None
    after = state(sns)
    assert people(after) == expected(rows)
    assert ("sqs" in {k[1] for k in after}) and len([k for k in after if k[1] == "sqs"]) == 1
    unchanged = [k for k in people(synced) if k in after]
    assert all(after[k] == synced[k] for k in unchanged), "kept subscriptions keep their ARN"
    assert facts["api_calls"]["Subscribe"] == 4 and facts["api_calls"]["Unsubscribe"] == 4
    changes = {(c["action"], c["department"], c["protocol"], c["endpoint"]) for c in facts["changes"]}
    assert ("add", "streets", "email", "r*****@example.gov") in changes
    assert all("rosa.diaz" not in c["endpoint"] for c in facts["changes"])

    # Whom an alert would reach after the sync: Rosa's email awaits her click (on real SNS), and the
    # date it was subscribed is kept in the alert state, without her address.
    reach = {r["department"]: r for r in facts["reach"]}
    assert (
        "r*****@example.gov" in reach["streets"]["pending"] and "+1******0199" in reach["streets"]["reached"]
    )
    since = reach["streets"]["pending_since"][reach["streets"]["pending"].index("r*****@example.gov")]
    assert since and facts["pending_dates"]["ledger"] == f"saved in {tmp_path / 'state.json'}"
    saved = (tmp_path / "state.json").read_text()
    assert since in saved and "rosa.diaz" not in saved
    _, facts = run_sync(tmp_path, rows, state_uri=str(tmp_path / "state.json"))  # moto confirmed them all
    assert facts["pending_dates"] == {"pending_emails": 0, "ledger": f"saved in {tmp_path / 'state.json'}"}
    assert all(not r["pending"] for r in facts["reach"])


def test_a_truncated_file_is_refused_and_changes_nothing(sns, synced, tmp_path):
    error, facts = run_sync(tmp_path, DEMO[:1])  # 80% of the rows gone
    assert error is not None and error.ename == "SyncGuardError"
    assert "streets: 6 of 6" in error.evalue and "allow_mass_removal" in error.evalue
    assert state(sns) == synced
    assert "sync_outcome" not in facts and facts["sync_plan"][1]["remove"] == 6


def test_dry_run_shows_the_plan_and_changes_nothing(sns, synced, tmp_path):
    newcomer = {"Name": "Rosa", "Email": "rosa@example.gov", "Phone": "", "Department": "trash"}
    error, facts = run_sync(tmp_path, [*DEMO, newcomer], dry_run=True)
    assert error is None
    assert state(sns) == synced
    assert facts["sync_outcome"][0]["add"] == 1
    assert "Subscribe" not in facts["api_calls"]


def test_invalid_rows_are_listed_and_the_valid_ones_still_sync(sns, synced, tmp_path):
    bad = {"Name": "", "Email": "x@example.gov", "Phone": "", "Department": "trash"}
    half = {**DEMO[0], "Email": "not-an-address"}
    error, facts = run_sync(tmp_path, [half, *DEMO[1:], bad])
    assert error is None
    problems = {(p["row"], p["column"], p["effect"]) for p in facts["problems"]}
    assert problems == {(2, "Email", "endpoint dropped"), (7, "Name", "row rejected")}
    # The file still lists a (broken) address for that director: their email is held, not removed.
    topic = f"{DEMO[0]['Department']}_notifications"
    assert (topic, "email", DEMO[0]["Email"]) in state(sns) and (topic, "sms", DEMO[0]["Phone"]) in state(sns)
    (held,) = [c for c in facts["changes"] if c["action"] == "held"]
    assert held["note"].startswith(
        "held: 1 row(s) that may be this department's have an invalid Email (e.g. row 2: "
    )
    assert state(sns) == synced, "nothing was removed, and the rejected row added nothing"


def filter_policies(sns):
    pages = sns.get_paginator("list_subscriptions").paginate()
    return {
        (s["Protocol"], s["Endpoint"]): sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])[
            "Attributes"
        ].get("FilterPolicy", "")
        for page in pages
        for s in page["Subscriptions"]
        if s["Protocol"] in ("email", "sms")
    }


def test_critical_only_directors_get_a_filter_policy_and_can_change_their_mind(sns, synced, tmp_path):
    chooser = DEMO[2]
    rows = [{**r, "Alerts": "critical" if r is chooser else ""} for r in DEMO]
    error, facts = run_sync(tmp_path, rows)
    assert error is None
    policies = filter_policies(sns)
    assert json.loads(policies[("sms", chooser["Phone"])]) == {"severity": ["critical"]}
    assert json.loads(policies[("email", chooser["Email"])]) == {"severity": ["critical"]}
    assert all(
        not p or json.loads(p) == {}
        for k, p in policies.items()
        if chooser["Phone"] != k[1] != chooser["Email"]
    )
    assert facts["sync_outcome"][1]["update"] == 2 and "Subscribe" not in facts["api_calls"]

    error, facts = run_sync(tmp_path, [{**r, "Alerts": "all"} for r in DEMO])
    assert error is None
    assert json.loads(filter_policies(sns)[("sms", chooser["Phone"])]) == {}


# --- contacts as people type them ---------------------------------------------------------------


def test_apostrophes_and_placeholders_keep_what_the_cells_mean(sns, synced, tmp_path):
    typed, no_email = DEMO[0], DEMO[1]
    newcomer = {"Name": "Rosa", "Email": "n/a", "Phone": "+16195550199", "Department": "streets"}
    rows = [{**typed, "Email": "'" + typed["Email"]}, {**no_email, "Email": "-"}, *DEMO[2:], newcomer]
    error, facts = run_sync(tmp_path, rows)
    assert error is None and facts["problems"] == []
    after = state(sns)
    topic = f"{typed['Department']}_notifications"
    assert after[(topic, "email", typed["Email"])] == synced[(topic, "email", typed["Email"])], (
        "not re-subscribed"
    )
    assert not any(k[2].startswith("'") for k in after)
    topic = f"{no_email['Department']}_notifications"
    assert (topic, "email", no_email["Email"]) not in after, "'-' says this director has no email now"
    assert after[(topic, "sms", no_email["Phone"])] == synced[(topic, "sms", no_email["Phone"])]
    assert ("streets_notifications", "sms", "+16195550199") in after
    assert facts["api_calls"]["Subscribe"] == 1 and facts["api_calls"]["Unsubscribe"] == 1


def test_a_file_without_the_alerts_column_removes_the_filter_policies(sns, synced, tmp_path):
    chooser = DEMO[2]
    error, _ = run_sync(tmp_path, [{**r, "Alerts": "critical" if r is chooser else "all"} for r in DEMO])
    assert error is None and json.loads(filter_policies(sns)[("sms", chooser["Phone"])]) == CRITICAL_ONLY
    error, facts = run_sync(tmp_path, DEMO)  # exported without the Alerts column: all alerts for everyone
    assert error is None
    assert all(not p or json.loads(p) == {} for p in filter_policies(sns).values())
    updates = [c for c in facts["planned_changes"] if c["action"] == "update"]
    assert len(updates) == 2 and all(
        c["note"].endswith("(removed: this file asks for all alerts)") for c in updates
    )
    assert state(sns) == synced


@pytest.mark.parametrize("order", [1, -1])
def test_a_director_listed_twice_with_other_alerts_keeps_the_subscriptions_as_they_are(
    sns, synced, tmp_path, order
):
    chooser = DEMO[2]
    error, _ = run_sync(tmp_path, [{**r, "Alerts": "critical" if r is chooser else "all"} for r in DEMO])
    assert error is None
    before = filter_policies(sns)
    twice = [{**chooser, "Alerts": "critical"}, {**chooser, "Name": "P. Raman", "Alerts": "all"}]
    rows = [{**r, "Alerts": "all"} for r in DEMO if r is not chooser] + twice[::order]
    error, facts = run_sync(tmp_path, rows)
    assert error is None
    assert {(p["row"], p["column"], p["effect"]) for p in facts["problems"]} == {
        (6, "Alerts", "row rejected"),
        (7, "Alerts", "row rejected"),
    }
    assert state(sns) == synced and filter_policies(sns) == before  # not removed, not changed
    held = {c["endpoint"] for c in facts["changes"] if c["action"] == "held"}
    assert held == {"p*****@example.gov", "+1******0103"}


def test_a_filter_policy_read_from_the_message_body_is_set_back_to_the_message_attributes(
    sns, synced, tmp_path
):
    """Under MessageBody SNS looks for `severity` in the body (default/email/sms keys): no alert gets through."""
    chooser = DEMO[2]
    rows = [{**r, "Alerts": "critical" if r is chooser else "all"} for r in DEMO]
    error, _ = run_sync(tmp_path, rows)
    assert error is None
    arn = synced[(f"{chooser['Department']}_notifications", "sms", chooser["Phone"])]
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    error, facts = run_sync(tmp_path, rows)
    assert error is None
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert json.loads(attributes["FilterPolicy"]) == CRITICAL_ONLY
    (update,) = [c for c in facts["planned_changes"] if c["action"] == "update"]
    assert update["note"].endswith(
        " on MessageBody -> " + json.dumps(CRITICAL_ONLY) + " on MessageAttributes"
    )
    assert facts["api_calls"]["SetSubscriptionAttributes"] == 2 and state(sns) == synced
    error, facts = run_sync(tmp_path, rows)  # and then it is right
    assert error is None and not [c for c in facts["planned_changes"] if c["action"] == "update"]
