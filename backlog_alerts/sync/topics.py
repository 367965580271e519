"""One SNS topic per department, created idempotently and found again by name."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from backlog_alerts.ascii_text import topic_display_name
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.io import read_only

TOPIC_SUFFIX = "_notifications"
OPS = "ops"  # the key of the data engineer's topic among the department topics


class TopicError(BacklogAlertsError, RuntimeError):
    """A topic that should exist does not, or a department name that cannot become a topic name."""


@dataclass(frozen=True)
class Topic:
    """A department's topic as SNS knows it."""

    department: str
    name: str
    arn: str
    created: bool = False
    planned: bool = False  # a dry run's: does not exist yet, planned against as it would be created


def check_topic_name(name: str) -> str:
    """SNS topic names: 1-256 ASCII letters, digits, `-` and `_`."""
    if not name or len(name) > 256 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name):
        raise TopicError(f"{name!r} cannot name an SNS topic (use a-z, 0-9, -, _)")
    return name


DISPLAY_NAME_LIMIT = 100  # SNS's limit for a topic's DisplayName


def check_display_name(department: str, name: str) -> str:
    """The DisplayName SNS will store (ASCII), refused here if SNS would refuse it."""
    folded = topic_display_name(name)
    if len(folded) > DISPLAY_NAME_LIMIT:
        raise TopicError(
            f"departments.{department}: the DisplayName is {len(folded)} characters (SNS allows "
            f"{DISPLAY_NAME_LIMIT})"
        )
    return folded


def topic_name(department: str, namespace: str = "") -> str:
    """`trash` -> `trash_notifications`; in namespace `sd`, `sd_trash_notifications`."""
    if not department or department == OPS:
        raise TopicError(f"department {department!r} cannot be used (empty, or reserved for the ops topic)")
    return check_topic_name(f"{namespace + '_' if namespace else ''}{department}{TOPIC_SUFFIX}")


def ops_topic_name(ops_topic: str, namespace: str = "") -> str:
    """The ops topic's name in a namespace (`sd_backlog_alerts_ops`); "" when there is none."""
    return check_topic_name(f"{namespace}_{ops_topic}") if ops_topic and namespace else ops_topic


def topic_names(departments: list[str], ops_topic: str = "", namespace: str = "") -> dict[str, str]:
    """Each department's topic name (and the ops topic's, as `ops`): the topics a deployment manages."""
    names = {d: topic_name(d, namespace) for d in departments}
    ops = ops_topic_name(ops_topic, namespace)
    return names | ({OPS: ops} if ops else {})


def existing_topic_arns(sns: Any) -> dict[str, str]:
    """Every topic in the account and region, by name (all pages of ListTopics)."""
    arns: dict[str, str] = {}
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            arns[topic["TopicArn"].rsplit(":", 1)[-1]] = topic["TopicArn"]
    return arns


@dataclass(frozen=True)
class TopicPlan:
    """What topic setup would do to one topic: create it, and each attribute, tag and owner mark that
    differs from what the topic has now (`key -> (now, wanted)`). Planned first, applied only outside a
    dry run, so that a dry run can show the whole of it and change nothing."""

    department: str
    name: str
    arn: str  # "" while the topic does not exist
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)
    tags: dict[str, tuple[str, str]] = field(default_factory=dict)
    owner: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def create(self) -> bool:
        return not self.arn

    @property
    def changes(self) -> bool:
        return self.create or bool(self.attributes or self.tags or self.owner)

    def rows(self) -> list[dict[str, str]]:
        """One row per change, for the notebook's table; "no change" when there is none."""
        row = {"department": self.department, "topic": self.name}
        rows = [{**row, "change": "create topic", "now": "(none)", "wanted": ""}] if self.create else []
        for kind, changes in (("set", self.attributes), ("tag", self.tags), ("mark owner", self.owner)):
            rows += [
                {**row, "change": f"{kind} {key}", "now": now if not self.create else "(none)", "wanted": new}
                for key, (now, new) in changes.items()
            ]
        return rows or [{**row, "change": "no change", "now": "", "wanted": ""}]


def _differing(now: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    return {k: (now.get(k, ""), v) for k, v in wanted.items() if v and now.get(k) != v}


def plan_topics(
    sns: Any,
    departments: dict[str, str],
    tags: dict[str, str] | None = None,
    ops_topic: str = "",
    kms_master_key_id: str = "",
    namespace: str = "",
    owner: dict[str, str] | None = None,
    existing: Mapping[str, str] | None = None,
) -> list[TopicPlan]:
    """What `apply_topic_plan` would change, read without changing anything: each topic to create, and
    its DisplayName (in ASCII, as SMS needs it), KMS key, tags and owner marks where they differ.

    Empty values are never planned: an empty DisplayName or KMS key leaves the topic's own. The
    optional ops topic (the data engineer's) is listed with department `ops`. `owner` (the
    deployment's marks, `sync.marks.owner_tags`) goes on every topic. `existing`: the topics already
    there (name -> ARN), when the caller has just listed them.
    """
    arns = existing_topic_arns(sns) if existing is None else existing
    plans = []
    for department, name in topic_names(list(departments), ops_topic, namespace).items():
        arn = arns.get(name, "")
        attributes_now: dict[str, str] = {}
        tags_now: dict[str, str] = {}
        if arn:
            attributes_now = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            listed = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
            tags_now = {t["Key"]: t["Value"] for t in listed}
        wanted = {
            "DisplayName": topic_display_name(departments.get(department, "Ops")),
            "KmsMasterKeyId": kms_master_key_id,  # server-side encryption at rest with this KMS key
        }
        plans.append(
            TopicPlan(
                department,
                name,
                arn,
                _differing(attributes_now, wanted),
                _differing(tags_now, {k: str(v) for k, v in (tags or {}).items() if k not in (owner or {})}),
                _differing(tags_now, owner or {}),
            )
        )
    return plans


def apply_topic_plan(sns: Any, plans: list[TopicPlan]) -> list[Topic]:
    """Make the plan so: CreateTopic by name only, then the attributes and tags in separate calls.

    Real SNS rejects a repeated CreateTopic whose attributes or tags differ from the first one, so
    attributes never travel with CreateTopic and a re-run returns the same ARNs.
    """
    topics = []
    for plan in plans:
        arn = plan.arn or sns.create_topic(Name=plan.name)["TopicArn"]
        for attribute, (_, value) in plan.attributes.items():
            sns.set_topic_attributes(TopicArn=arn, AttributeName=attribute, AttributeValue=value)
        every = {key: value for key, (_, value) in (plan.tags | plan.owner).items()}
        if every:
            sns.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in every.items()])
        topics.append(Topic(plan.department, plan.name, arn, created=plan.create))
    return topics


def planned_topics(plans: list[TopicPlan]) -> list[Topic]:
    """The topics as a dry run leaves them: those that do not exist yet have no ARN."""
    return [Topic(plan.department, plan.name, plan.arn) for plan in plans]


def ensure_topics(
    sns: Any,
    departments: dict[str, str],
    tags: dict[str, str] | None = None,
    ops_topic: str = "",
    kms_master_key_id: str = "",
    namespace: str = "",
    owner: dict[str, str] | None = None,
) -> list[Topic]:
    """Plan and apply at once (see `plan_topics`): every topic there, as the params want it."""
    plans = plan_topics(sns, departments, tags, ops_topic, kms_master_key_id, namespace, owner)
    return apply_topic_plan(sns, plans)


def would_be_arn(name: str, region: str, arns: Collection[str]) -> str:
    """The ARN a topic not created yet would have: its account is that of the account's other topics
    (`unknown` when there are none)."""
    account = next((arn.split(":")[4] for arn in arns), "unknown")
    return f"arn:aws:sns:{region}:{account}:{name}"


def find_topics(
    sns: Any, departments: list[str], ops_topic: str = "", namespace: str = "", *, dry_run: bool = False
) -> dict[str, Topic]:
    """Resolve each department's topic ARN (and the ops topic's, as `ops`) by name, creating nothing.

    A topic missing is an error, except in a dry run (a fresh deployment, or a department just added,
    whose topic setup created nothing): the topic is then planned against as topic setup would create
    it, by the ARN it would have, and the dry run's AWS answers for it as for a new topic (`io.read_only`).
    """
    arns = existing_topic_arns(sns)
    names = topic_names(departments, ops_topic, namespace)
    missing = [name for name in names.values() if name not in arns]
    if missing and not dry_run:
        raise TopicError(
            f"SNS topic(s) {', '.join(missing)} not found: run notebooks/01_topic_setup.ipynb first"
        )
    for name in missing:
        arns[name] = read_only.plan_topic(would_be_arn(name, sns.meta.region_name, arns.values()))
    return {d: Topic(d, name, arns[name], planned=name in missing) for d, name in names.items()}
