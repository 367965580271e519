"""Evaluating rules against a report's counts and publishing the alerts that fire."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from backlog_alerts.report import count_for
from backlog_alerts.rules import Rule, alert_message
from backlog_alerts.topics import Topic


@dataclass(frozen=True)
class Decision:
    """One rule's verdict on one report, and the MessageId if it was published."""

    rule: str
    service_name: str
    department: str
    count: int
    threshold: int
    fired: bool
    message_id: str = ""


def decide(rules: list[Rule], counts: dict[str, int], report_uri: str) -> list[Decision]:
    """Compare each rule's count with its threshold; nothing is sent here.

    Every rule's service is looked up before any verdict, so a missing one stops the whole check.
    """
    looked_up = {r.name: count_for(counts, r.service_name, report_uri) for r in rules}
    return [
        Decision(
            r.name,
            r.service_name,
            r.department,
            looked_up[r.name],
            r.threshold,
            r.fires(looked_up[r.name]),
        )
        for r in rules
    ]


def publish_fired(
    sns: Any, rules: list[Rule], decisions: list[Decision], topics: dict[str, Topic], report_uri: str
) -> list[Decision]:
    """Publish one message per fired rule to its department's topic, keeping the MessageId."""
    by_name = {r.name: r for r in rules}
    published = []
    for decision in decisions:
        if decision.fired:
            rule = by_name[decision.rule]
            response = sns.publish(
                TopicArn=topics[rule.department].arn,
                Subject=rule.subject,
                Message=alert_message(rule, decision.count, report_uri),
            )
            decision = replace(decision, message_id=response["MessageId"])
        published.append(decision)
    return published
