"""Notices to the data engineer's ops topic: every one is sent the same way, whoever sends it."""

from __future__ import annotations

from collections.abc import Sequence
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


class Failure(Protocol):
    """A notebook of the run that did not succeed, as the runner records it."""

    notebook: str
    status: str
    error: str
    output: str


def notify_ops_of_failure(
    ops_topic: str, region: str, run_id: str, failures: Sequence[Failure], deployment: str = ""
) -> str:
    """A scheduled job must not fail silently: one short notice to the ops topic, if there is one."""
    if not failures:
        return "ops: no ops_topic configured, nobody was notified of the failure"
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
) -> str:
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
) -> str:
    """One notice to the ops topic if it exists and is not another deployment's; a line saying what
    happened, for the run's output."""
    if not ops_topic:
        return f"ops: no ops_topic configured, nobody was notified of the {about}"
    try:
        sns = aws.client("sns", region)
        arn = existing_topic_arns(sns).get(ops_topic)
        if arn is None:
            return f"ops: topic {ops_topic} does not exist, nobody was notified of the {about}"
        if foreign(read_marks(sns, {ops_topic: arn}), deployment):
            return f"ops: topic {ops_topic} is another deployment's, nobody was notified of the {about}"
        message_id = publish_ops_notice(sns, arn, subject, message)
    except (ClientError, BotoCoreError) as err:
        return f"ops: could not notify {ops_topic}: {err}"
    return f"ops: {about} notice sent to {ops_topic} (MessageId {message_id})"
