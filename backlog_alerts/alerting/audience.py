"""Whom each alert reaches: its own message, through each subscription's filter policy.

A topic's reach (confirmed, not opted out, texted by the sandbox) is not an alert's: a director who
asked for critical alerts only is on the topic and still does not hear a warning. Every count of who
heard an alert (the run summary, the trail, the coverage notice, the SMS spend) comes from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backlog_alerts.alerting.evaluation import Decision
from backlog_alerts.alerting.messages import Message
from backlog_alerts.alerting.publish import message_attributes, message_body
from backlog_alerts.sync.reach import Reach


def message_reach(message: Message, reach: Mapping[str, Reach]) -> Reach | None:
    """Whom one message reaches on its department's topic (None: the topic's reach is not known)."""
    topic = reach.get(message.department)
    return None if topic is None else topic.through(message_attributes(message), message_body(message))


def alert_reach(
    decisions: Iterable[Decision], messages: Iterable[Message], reach: Mapping[str, Reach]
) -> dict[str, Reach]:
    """By rule: whom the message carrying it reaches. A rule without a message in this run (sent
    before, or not firing) is judged as a message of its own severity and service, body unknown."""
    by_rule: dict[str, Reach] = {}
    for message in messages:
        heard = message_reach(message, reach)
        by_rule |= {d.rule: heard for d in message.decisions if heard is not None}
    for d in decisions:
        if d.rule not in by_rule and d.department in reach:
            alone = Message(d.department, d.severity, "", "", "", (d,))
            by_rule[d.rule] = reach[d.department].through(message_attributes(alone), None)
    return by_rule


def reach_rows(
    reach: Mapping[str, Reach], by_rule: Mapping[str, Reach], messages: Iterable[Message]
) -> list[dict[str, Any]]:
    """The trail's reach, one row per department (masked): whom this run's alert to it reaches. With
    several messages to one department, the row is the one that reaches fewest (a count never
    overstated), and `messages` has each; a department with no message, its rules' least reach."""
    sent = [m for m in messages if m.decisions]
    rows = []
    for department, topic in reach.items():
        mine = [(m.severity, [d.rule for d in m.decisions]) for m in sent if m.department == department]
        candidates = [by_rule[rules[0]] for _, rules in mine if rules[0] in by_rule] or [
            r for rule, r in by_rule.items() if r.department == department
        ]
        least = min(candidates, key=lambda r: r.people, default=topic)
        rows.append(
            least.masked()
            | {
                "messages": [
                    {"severity": severity, "rules": rules, "people": by_rule[rules[0]].people}
                    for severity, rules in mine
                    if rules[0] in by_rule
                ]
            }
        )
    return rows
