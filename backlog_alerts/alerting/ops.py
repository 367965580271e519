"""Notices to the data engineer's ops topic: every one is sent the same way, whoever sends it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from backlog_alerts.ascii_text import plain_ascii
from backlog_alerts.io import aws
from backlog_alerts.sync.topics import existing_topic_arns


def publish_ops_notice(sns: Any, topic_arn: str, subject: str, message: str) -> str:
    """Publish one notice; returns its MessageId. The severity attribute keeps it off directors'
    filtered subscriptions, and the Subject fits email's ASCII and SNS's 100 characters."""
    return sns.publish(
        TopicArn=topic_arn,
        Subject=plain_ascii(subject)[:99],
        Message=message,
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "ops"}},
    )["MessageId"]


class Failure(Protocol):
    """A notebook of the run that did not succeed, as the runner records it."""

    notebook: str
    status: str
    error: str
    output: str


def notify_ops_of_failure(ops_topic: str, region: str, run_id: str, failures: Sequence[Failure]) -> str:
    """A scheduled job must not fail silently: one short notice to the ops topic, if there is one."""
    if not ops_topic or not failures:
        return "ops: no ops_topic configured, nobody was notified of the failure"
    try:
        sns = aws.client("sns", region)
        arn = existing_topic_arns(sns).get(ops_topic)
        if arn is None:
            return f"ops: topic {ops_topic} does not exist, nobody was notified of the failure"
        message_id = publish_ops_notice(
            sns,
            arn,
            f"[OPS] backlog-alerts run failed at {failures[0].notebook.removesuffix('.ipynb')}",
            "\n\n".join(
                f"Run {run_id}: {f.notebook} {f.status}.\nError: {f.error}\nExecuted copy: {f.output}"
                for f in failures
            ),
        )
    except (ClientError, BotoCoreError) as err:
        return f"ops: could not notify {ops_topic}: {err}"
    return f"ops: failure notice sent to {ops_topic} (MessageId {message_id})"
