"""Notices to the data engineer's ops topic: every one is sent the same way, whoever sends it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.ascii_text import plain_ascii
from backlog_alerts.io import aws
from backlog_alerts.masking import mask_text
from backlog_alerts.sync.marks import foreign, read_marks
from backlog_alerts.sync.topics import existing_topic_arns


def publish_ops_notice(sns: Any, topic_arn: str, subject: str, message: str) -> str:
    """Publish one notice; returns its MessageId. The severity attribute keeps it off directors'
    filtered subscriptions, and the Subject fits email's ASCII and SNS's 100 characters."""
    return sns.publish(
        TopicArn=topic_arn,
        Subject=plain_ascii(mask_text(subject))[:99],
        Message=mask_text(message),  # a reason or error can quote a contacts cell
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "ops"}},
    )["MessageId"]


def sent_now() -> str:
    """The time a notice went out, as the trail records it (UTC, ISO 8601)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class OpsNotice:
    """One notice to the ops topic as the trail records it: what it was about, the topic (its ARN once
    found, else its name), the MessageId and time when it went out, else why it did not."""

    kind: str  # failure | refusal
    topic: str
    message_id: str = ""
    sent_at: str = ""
    outcome: str = "sent"  # or why nothing went out

    def line(self) -> str:
        """What happened, for the run's output."""
        if self.message_id:
            name = self.topic.rsplit(":", 1)[-1]
            return f"ops: {self.kind} notice sent to {name} (MessageId {self.message_id})"
        return f"ops: {self.outcome}"


class Failure(Protocol):
    """A notebook of the run that did not succeed, as the runner records it."""

    notebook: str
    status: str
    error: str
    output: str


def notify_ops_of_failure(
    ops_topic: str, region: str, run_id: str, failures: Sequence[Failure], deployment: str = ""
) -> OpsNotice:
    """A scheduled job must not fail silently: one short notice to the ops topic, if there is one."""
    if not failures:
        return OpsNotice("failure", ops_topic, outcome="no failure, nobody was notified")
    return notify_ops(
        ops_topic,
        region,
        "failure",
        f"[OPS] backlog-alerts run failed at {failures[0].notebook.removesuffix('.ipynb')}",
        "\n\n".join(
            f"Run {run_id}: {f.notebook} {f.status}.\nError: {f.error}\nExecuted copy: {f.output}"
            for f in failures
        ),
        deployment,
    )


def notify_ops_of_refusal(
    ops_topic: str, region: str, run_id: str, reason: str, folder: str, deployment: str = ""
) -> OpsNotice:
    """A run refused by the pre-run check is a run that did not happen: ops hear of it like a failure."""
    return notify_ops(
        ops_topic,
        region,
        "refusal",
        "[OPS] backlog-alerts run refused: bad input, nothing was changed",
        f"Run {run_id} was refused by the pre-run check; no notebook ran, no alert was sent.\n"
        f"Reason: {reason}\nRun folder: {folder}",
        deployment,
    )


def notify_ops(
    ops_topic: str, region: str, about: str, subject: str, message: str, deployment: str = ""
) -> OpsNotice:
    """One notice to the ops topic if it exists and is not another deployment's; what happened, for
    the trail and the run's output."""
    if not ops_topic:
        return OpsNotice(about, "", outcome=f"no ops_topic configured, nobody was notified of the {about}")
    topic = ops_topic
    try:
        sns = aws.client("sns", region)
        arn = existing_topic_arns(sns).get(ops_topic)
        if arn is None:
            return OpsNotice(
                about, topic, outcome=f"topic {ops_topic} does not exist, nobody was notified of the {about}"
            )
        topic = arn
        if foreign(read_marks(sns, {ops_topic: arn}), deployment):
            return OpsNotice(
                about,
                topic,
                outcome=f"topic {ops_topic} is another deployment's, nobody was notified of the {about}",
            )
        message_id = publish_ops_notice(sns, arn, subject, message)
    except (ClientError, BotoCoreError) as err:
        return OpsNotice(about, topic, outcome=f"could not notify {ops_topic}: {err}")
    return OpsNotice(about, topic, message_id, sent_now())
