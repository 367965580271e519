"""Subscription sync, the apply step: the planned adds, updates and removals made, a few at a time.

A failed call is recorded on its change (the next run retries it) and raised only after the outcome is
recorded, so a sync with failures never passes for a finished one.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from backlog_alerts.errors import EXIT_NOTEBOOK_FAILED, BacklogAlertsError
from backlog_alerts.io import aws
from backlog_alerts.masking import mask_endpoint
from backlog_alerts.sync.plan import ADD, REMOVE, UPDATE, Change
from backlog_alerts.sync.subscriptions import NO_FILTER


class SyncApplyError(BacklogAlertsError, RuntimeError):
    """Some Subscribe/Unsubscribe calls failed after botocore's retries; the rest were applied."""

    exit_code = EXIT_NOTEBOOK_FAILED


def _apply_one(sns: Any, change: Change) -> Change:
    try:
        if change.action == ADD:
            filtered = (
                {"Attributes": {"FilterPolicy": change.filter_policy}}
                if change.filter_policy != NO_FILTER
                else {}
            )
            arn = sns.subscribe(
                TopicArn=change.topic_arn,
                Protocol=change.protocol,
                Endpoint=change.endpoint,
                ReturnSubscriptionArn=True,
                **filtered,
            )["SubscriptionArn"]
            return replace(change, subscription_arn=arn, result="added")
        if change.action == UPDATE:
            if change.filter_scope:  # first: SNS reads the policy that follows in this scope
                sns.set_subscription_attributes(
                    SubscriptionArn=change.subscription_arn,
                    AttributeName="FilterPolicyScope",
                    AttributeValue=change.filter_scope,
                )
            sns.set_subscription_attributes(
                SubscriptionArn=change.subscription_arn,
                AttributeName="FilterPolicy",
                AttributeValue=change.filter_policy,
            )
            return replace(change, result="updated")
        sns.unsubscribe(SubscriptionArn=change.subscription_arn)
        return replace(change, result="removed")
    except aws.CALL_ERRORS as err:  # recorded; the next run retries it
        return replace(change, result=f"failed: {aws.error_code(err) or err}")


def apply_plan(sns: Any, plan: list[Change], workers: int = 8) -> list[Change]:
    """Make the adds and removals, a few at a time; other rows come back as they were planned."""
    todo = [c for c in plan if c.action in (ADD, REMOVE, UPDATE)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(map(id, todo), pool.map(lambda c: _apply_one(sns, c), todo), strict=True))
    return [done.get(id(c), c) for c in plan]


def raise_for_failures(outcome: Iterable[Change]) -> None:
    """After recording the outcome: a sync with failed calls must not pass for a finished one."""
    failed = [c for c in outcome if c.result.startswith("failed")]
    if failed:
        first = failed[0]
        raise SyncApplyError(
            f"{len(failed)} subscription change(s) failed, e.g. {first.action} {first.protocol} "
            f"{mask_endpoint(first.protocol, first.endpoint)} on {first.department}: {first.result}. "
            "The next run retries them."
        )
