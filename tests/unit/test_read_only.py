"""A dry run's AWS (backlog_alerts/io/read_only.py) and topic plan (sync/topics.py): every change refused
before it is sent, reads of topics not created answered as new ones, and a plan of only what differs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.io import aws, read_only
from backlog_alerts.state.store import StateStore
from backlog_alerts.sync.topics import TopicPlan, apply_topic_plan, plan_topics

ARN = "arn:aws:sns:us-east-1:123456789012:parks_notifications"


@pytest.fixture
def dry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A dry run in this process, against an endpoint nobody answers: a call that went out would fail."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    read_only.begin(True)
    yield
    read_only.begin(False)


@pytest.mark.parametrize(
    ("service", "call", "kwargs"),
    [
        ("sns", "create_topic", {"Name": "trash_notifications"}),
        (
            "sns",
            "set_topic_attributes",
            {"TopicArn": ARN, "AttributeName": "DisplayName", "AttributeValue": "x"},
        ),
        ("sns", "tag_resource", {"ResourceArn": ARN, "Tags": [{"Key": "k", "Value": "v"}]}),
        ("sns", "subscribe", {"TopicArn": ARN, "Protocol": "email", "Endpoint": "a@example.gov"}),
        ("sns", "unsubscribe", {"SubscriptionArn": f"{ARN}:1"}),
        ("sns", "publish", {"TopicArn": ARN, "Message": "m"}),
        ("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"x"}),
        ("s3", "delete_object", {"Bucket": "b", "Key": "k"}),
    ],
)
def test_a_dry_run_refuses_every_change_before_it_is_sent(dry, service, call, kwargs):
    client = aws.client(service, "us-east-1")
    with pytest.raises(read_only.DryRunWrite, match="a dry run must change nothing"):
        getattr(client, call)(**kwargs)


def test_a_topic_not_created_answers_as_a_new_one(dry):
    sns = aws.client("sns", "us-east-1")
    read_only.plan_topic(ARN)
    assert sns.list_subscriptions_by_topic(TopicArn=ARN)["Subscriptions"] == []
    assert sns.list_tags_for_resource(ResourceArn=ARN)["Tags"] == []
    assert sns.get_topic_attributes(TopicArn=ARN)["Attributes"] == {"TopicArn": ARN}


def test_the_state_is_never_written_in_a_dry_run(dry, tmp_path):
    path = tmp_path / "alert_state.json"
    with pytest.raises(read_only.DryRunWrite, match="write the alert state"):
        StateStore(str(path)).update(lambda state: None)
    assert not path.exists()


def test_only_a_dry_run_plans_against_a_topic_not_created():
    read_only.begin(False)
    with pytest.raises(read_only.DryRunWrite):
        read_only.plan_topic(ARN)


class FakeSns:
    """Topics with attributes and tags; the calls that change them are recorded."""

    def __init__(self, topics: dict[str, tuple[dict[str, str], dict[str, str]]]):
        self.topics = topics
        self.calls: list[str] = []

    def get_topic_attributes(self, TopicArn: str) -> dict:  # noqa: N803 - boto3's names
        return {"Attributes": dict(self.topics[TopicArn][0])}

    def list_tags_for_resource(self, ResourceArn: str) -> dict:  # noqa: N803
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.topics[ResourceArn][1].items()]}

    def create_topic(self, Name: str) -> dict:  # noqa: N803
        arn = f"arn:aws:sns:us-east-1:1:{Name}"
        self.topics[arn] = ({}, {})
        self.calls.append(f"create {Name}")
        return {"TopicArn": arn}

    def set_topic_attributes(self, TopicArn: str, AttributeName: str, AttributeValue: str) -> None:  # noqa: N803
        self.topics[TopicArn][0][AttributeName] = AttributeValue
        self.calls.append(f"set {AttributeName}")

    def tag_resource(self, ResourceArn: str, Tags: list[dict]) -> None:  # noqa: N803
        self.topics[ResourceArn][1].update({t["Key"]: t["Value"] for t in Tags})
        self.calls.append("tag")


names = st.text(alphabet="abcdefgh ", min_size=0, max_size=6)


@given(
    display=names,
    wanted=names,
    tag=st.sampled_from(["", "a", "b"]),
    wanted_tag=st.sampled_from(["a", "b"]),
    kms=st.sampled_from(["", "alias/x"]),
    exists=st.booleans(),
)
def test_a_plan_applied_leaves_nothing_to_plan_and_changes_only_what_differs(
    display, wanted, tag, wanted_tag, kms, exists
):
    """Whatever the topic has now: applying the plan makes it what the params want (so planning again
    finds nothing), and a topic already as wanted gets no call at all."""
    arn = "arn:aws:sns:us-east-1:1:trash_notifications"
    start = {arn: ({"DisplayName": display}, {"app": tag} if tag else {})} if exists else {}
    sns = FakeSns(start)
    existing = {"trash_notifications": arn} if exists else {}
    settings = {"tags": {"app": wanted_tag}, "kms_master_key_id": kms, "owner": {"owner": "d-1"}}

    def plan() -> list[TopicPlan]:
        return plan_topics(sns, {"trash": wanted}, existing=existing, **settings)

    (first,) = plan()
    assert first.create is not exists
    apply_topic_plan(sns, [first])
    existing = {"trash_notifications": next(iter(sns.topics))}
    (again,) = plan()
    assert not again.changes and again.rows()[0]["change"] == "no change"
    calls = len(sns.calls)
    apply_topic_plan(sns, [again])
    assert len(sns.calls) == calls, "a topic already as wanted gets no call"
