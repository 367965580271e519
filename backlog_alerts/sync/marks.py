"""What a topic says of itself in its tags: which deployment manages it, and the last alert it heard.

A deployment is its alert state: the state holds the deployment's id, and each topic the deployment
manages carries that id (`backlog-alerts:deployment`) and, for people, where that state lives. A run
never creates, changes or publishes to a topic that carries another deployment's id; a topic with no
id (made before this mark existed, or by hand) is adopted. After each publish the topic also records
the period, the highest tier it heard in that period, and the MessageId and run of its last alert
(`backlog-alerts:last-send`): a state that does not know that MessageId is behind what the topic
heard (lost, or restored from an old backup), which no run may obey.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.state.document import is_dated
from backlog_alerts.state.ledger import rank

DEPLOYMENT_TAG = "backlog-alerts:deployment"
STATE_TAG = "backlog-alerts:state"
LAST_SEND_TAG = "backlog-alerts:last-send"  # of a dated period
LAST_UNDATED_TAG = "backlog-alerts:last-undated-send"  # of a report without a period: kept apart
CHECKED_TAG = "backlog-alerts:checked"
_NOT_IN_TAGS = re.compile(r"[^\w\s.:/=+\-@]")  # what SNS does not take in a tag value
TAG_VALUE_LIMIT = 256


class OwnershipError(BacklogAlertsError, RuntimeError):
    """A topic this run would change or publish to is managed by another deployment."""


@dataclass(frozen=True)
class LastSend:
    """The last alert a topic heard: its period, the highest tier heard that period, its MessageId."""

    period: str
    tier: str
    message_id: str
    run_id: str

    def value(self) -> str:
        return f"{self.period} {self.tier} {self.message_id} {self.run_id}"

    @classmethod
    def parse(cls, value: str) -> LastSend | None:
        parts = value.split()
        return cls(*parts) if len(parts) == 4 else None


@dataclass(frozen=True)
class Mark:
    """One existing topic's marks (empty strings where it has none)."""

    name: str
    arn: str
    deployment: str = ""
    state: str = ""
    last_send: LastSend | None = None
    checked: str = ""  # the newest report period the deployment checked
    last_undated: LastSend | None = None

    @property
    def last_sends(self) -> list[LastSend]:
        """The last alert of a dated period and the last of a report without one, as recorded."""
        return [send for send in (self.last_send, self.last_undated) if send is not None]


def tag_value(text: str) -> str:
    """A text as SNS takes it in a tag value (other characters as `_`, at most 256)."""
    return _NOT_IN_TAGS.sub("_", text)[:TAG_VALUE_LIMIT]


def read_marks(sns: Any, arns: Mapping[str, str]) -> dict[str, Mark]:
    """The marks of each existing topic, by name (one ListTagsForResource per topic)."""
    marks = {}
    for name, arn in arns.items():
        tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])}
        marks[name] = Mark(
            name,
            arn,
            tags.get(DEPLOYMENT_TAG, ""),
            tags.get(STATE_TAG, ""),
            LastSend.parse(tags.get(LAST_SEND_TAG, "")),
            tags.get(CHECKED_TAG, ""),
            LastSend.parse(tags.get(LAST_UNDATED_TAG, "")),
        )
    return marks


NEW_DEPLOYMENT = "(a new id: the state names none yet)"  # a dry run of a new deployment would mark


def owner_tags(deployment: str, state_uri: str) -> dict[str, str]:
    return {DEPLOYMENT_TAG: deployment, STATE_TAG: tag_value(state_uri)}


def foreign(marks: Mapping[str, Mark], deployment: str) -> list[Mark]:
    """Topics marked as another deployment's (with no deployment yet, every marked topic is)."""
    return [m for m in marks.values() if m.deployment and m.deployment != deployment]


def refusal(others: list[Mark], deployment: str, state_uri: str, params_hint: str) -> OwnershipError:
    """The refusal, naming both deployments and the ways forward: for a state that names no deployment
    (new, or lost) the rebuild first, then the ways to keep two deployments apart."""
    first = others[0]
    names = ", ".join(m.name for m in others)
    theirs = f"deployment {first.deployment}" + (f", alert state {first.state}" if first.state else "")
    apart = (
        "give this params file topics of its own: a namespace no other deployment uses (namespace: <city> "
        f"in the params file); or hand the topics over on purpose: backlog-alerts topics adopt {params_hint} "
        "(the other deployment's runs then refuse them)"
    )
    if not deployment:
        return OwnershipError(
            f"topic(s) {names} carry {theirs}, and this run's alert state ({state_uri}) names no "
            f"deployment yet: it is new, or it was lost. Nothing was changed. If this is "
            f"{first.deployment} and its state was lost, rebuild it: backlog-alerts state rebuild "
            f"{params_hint} (add --trail <folder> if its runs were written elsewhere). If the topics are "
            f"another deployment's, {apart}."
        )
    return OwnershipError(
        f"topic(s) {names} are managed by another deployment ({theirs}); this run's alert state "
        f"({state_uri}) is deployment {deployment}. Nothing was changed. To keep both, {apart}."
    )


def check_owner(
    marks: Mapping[str, Mark], deployment: str, state_uri: str, params_hint: str = "--params <params file>"
) -> None:
    """Refuse before any change when a topic belongs to another deployment."""
    others = foreign(marks, deployment)
    if others:
        raise refusal(others, deployment, state_uri, params_hint)


def tag_send(sns: Any, arn: str, send: LastSend) -> None:
    """Record on the topic the alert it just heard: an undated one apart, so that it never hides the
    last alert of a dated period."""
    key = LAST_SEND_TAG if is_dated(send.period) else LAST_UNDATED_TAG
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": send.value()}])


def tag_checked(sns: Any, arn: str, period: str) -> None:
    """Record on the topic the newest report period its deployment checked."""
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": CHECKED_TAG, "Value": period}])


def next_send(previous: LastSend | None, period: str, tier: str, message_id: str, run_id: str) -> LastSend:
    """The mark after one more send: the highest tier of the period is kept."""
    if previous is not None and previous.period == period and rank(previous.tier) > rank(tier):
        tier = previous.tier
    return LastSend(period, tier, message_id, run_id)


class StateBehindError(BacklogAlertsError, RuntimeError):
    """The alert state does not know an alert a topic heard: lost, or restored from an old backup."""


def behind(marks: Mapping[str, Mark], known: set[str], latest_period: str) -> list[Mark]:
    """This deployment's topics that recorded more than the state knows: a last alert whose MessageId
    it lacks, or a newer period checked than its newest."""
    return [
        m
        for m in marks.values()
        if any(send.message_id not in known for send in m.last_sends) or m.checked > latest_period
    ]


def behind_error(
    late: list[Mark], state_uri: str, params_hint: str, known: Collection[str] = ()
) -> StateBehindError:
    """The refusal of a run whose state is behind its topics, with the command that mends it."""
    first = late[0]
    unknown = next((send for send in first.last_sends if send.message_id not in known), None)
    what = (
        f"its last alert, MessageId {unknown.message_id} of period {unknown.period}, run {unknown.run_id}"
        if unknown is not None
        else f"the newest period checked, {first.checked}"
    )
    return StateBehindError(
        f"the alert state at {state_uri} is behind what topic {first.name} recorded ({what}, is not in "
        "it: lost, or restored from an old copy); it must not be obeyed, or alerts would go out twice. "
        f"Nothing was changed. Rebuild it from the trail: backlog-alerts state rebuild {params_hint}"
    )
