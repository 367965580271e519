"""A dry run sees AWS as it is and changes nothing in it.

Once `begin(True)` has run in a process (each notebook's first cell does it with its `dry_run`), every
client that `aws.client` makes refuses, before sending it, any call that is not a read (`Get*`,
`List*`, `Head*`, `Describe*`, `Check*`): no code path of a dry run can create, change, tag or delete
a topic, subscription or S3 object, nor publish. One that tries fails the notebook, naming the call.
The topics a dry run plans against that do not exist yet (`plan_topic`) answer as new topics would:
no subscriptions, no tags, no attributes but their ARN.
"""

from __future__ import annotations

from typing import Any

from botocore.awsrequest import AWSResponse

from backlog_alerts.errors import BacklogAlertsError

READS = ("Get", "List", "Head", "Describe", "Check")  # the operations that change nothing
_TARGET = "backlog_alerts_topic"  # where a call's topic ARN is kept between botocore's two events
_dry = {"run": False}
_planned: set[str] = set()  # the ARNs of topics a dry run plans against, not created


class DryRunWrite(BacklogAlertsError, RuntimeError):
    """A dry run was about to change AWS: a bug, stopped before the call went out."""


def begin(dry_run: bool) -> None:
    """From now on, in this process, a dry run (or, with False, a run that may change AWS)."""
    _dry["run"] = dry_run
    _planned.clear()


def active() -> bool:
    return _dry["run"]


def refuse(what: str) -> None:
    """Raise when this process is a dry run: `what` (a state write, say) would change something."""
    if _dry["run"]:
        raise DryRunWrite(f"a dry run must change nothing, but it was about to {what}")


def plan_topic(arn: str) -> str:
    """A topic a dry run plans against as topic setup would create it; returns its ARN."""
    if not _dry["run"]:
        raise DryRunWrite(f"{arn}: only a dry run plans against a topic that does not exist")
    _planned.add(arn)
    return arn


def _check(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if not _dry["run"]:
        return
    if not model.name.startswith(READS):
        refuse(f"call {model.service_model.service_id} {model.name}")
    context[_TARGET] = params.get("TopicArn") or params.get("ResourceArn") or ""


def _answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    """A planned topic's reads, answered as SNS would answer them for a topic just created."""
    arn = context.get(_TARGET, "")
    if not (_dry["run"] and arn in _planned):
        return None
    answers: dict[str, dict[str, Any]] = {
        "ListSubscriptionsByTopic": {"Subscriptions": []},
        "ListTagsForResource": {"Tags": []},
        "GetTopicAttributes": {"Attributes": {"TopicArn": arn}},
    }
    if model.name not in answers:
        refuse(f"call {model.name} on topic {arn}, which it did not create")
    return AWSResponse(None, 200, {}, None), answers[model.name]


def guard(client: Any) -> Any:
    """Hook `client` to this process's dry run; returns it."""
    client.meta.events.register_first("before-parameter-build", _check)
    client.meta.events.register_first("before-call", _answer)
    return client
