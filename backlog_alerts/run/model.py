"""The params model: every key a params file may hold, its type, its default and its checks.

It is the one source of truth: the runner reads its settings from it, each notebook's parameters
are dumped from it, and a test keeps the notebooks' `parameters` cells equal to its defaults.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlparse

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from backlog_alerts.alerting.messages import MessageError, check_messages, check_templates
from backlog_alerts.alerting.mutes import MuteError, parse_mutes
from backlog_alerts.alerting.report import MissingService, ReportKind
from backlog_alerts.alerting.rules import Rule, RuleError, parse_rules
from backlog_alerts.io.aws import RetryMode, Target
from backlog_alerts.sync.contacts import OnInvalidRow
from backlog_alerts.sync.topics import (
    TopicError,
    check_display_name,
    check_topic_name,
    ops_topic_name,
    topic_name,
)


def _location(value: str) -> str:
    """s3://bucket/key, http(s):// or a local path; a bucket without a key is a common slip."""
    parsed = urlparse(value)
    if parsed.scheme == "s3" and (not parsed.netloc or not parsed.path.lstrip("/")):
        raise ValueError(f"{value!r} names no object: an S3 URI must look like s3://bucket/key")
    if parsed.scheme not in ("", "s3", "http", "https", "file"):
        raise ValueError(f"{value!r}: unsupported location (use s3://, https:// or a local path)")
    return value


def _writable(value: str) -> str:
    """Where the tool writes (the state, the trail): s3:// or a local path, never http(s)://."""
    if urlparse(value).scheme in ("http", "https"):
        raise ValueError(f"{value!r}: the tool cannot write to http(s):// (use s3:// or a local path)")
    if urlparse(value).scheme not in ("", "s3", "file"):
        raise ValueError(f"{value!r}: unsupported location (use s3:// or a local path)")
    return value


def _namespace(value: str) -> str:
    if value and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", value):
        raise ValueError(
            f"{value!r} is not a namespace: 1 to 40 of a-z, 0-9, - and _, starting with a letter or digit"
        )
    return value


def _period(value: str) -> str:
    if value and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ValueError(f"{value!r} is not YYYY-MM (or empty)")
    return value


def _region(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value):
        raise ValueError(f"{value!r} is not an AWS region name such as us-east-1")
    return value


def _topic(value: str) -> str:
    try:
        return check_topic_name(value) if value else value
    except TopicError as err:
        raise ValueError(str(err)) from err


Location = Annotated[str, AfterValidator(_location)]


def _state_location(value: str) -> str:
    if value.endswith("/"):
        raise ValueError(f"{value!r} names a folder: name the state's file (e.g. {value}alert_state.json)")
    return _writable(_location(value))


StateLocation = Annotated[str, AfterValidator(lambda v: _state_location(v) if v else v)]
Namespace = Annotated[str, AfterValidator(_namespace)]
Period = Annotated[str, AfterValidator(_period)]
Seconds = Annotated[int, Field(gt=0)]


DEMO_RULES = [
    {
        "name": "potholes",
        "service_name": "Pothole",
        "department": "streets",
        "threshold": 100,
        "severity": "warning",
    },
    {
        "name": "illegal_dumping",
        "service_name": "Illegal Dumping",
        "department": "trash",
        "threshold": 30,
        "severity": "warning",
    },
]


class Params(BaseModel):
    """Every key a params file may hold; the defaults run the demo against the embedded emulator."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # Shared by the notebooks.
    target: Target = "local"
    region: Annotated[str, AfterValidator(_region)] = "us-east-1"
    departments: Annotated[dict[str, str], Field(min_length=1)] = {"trash": "Trash", "streets": "Streets"}
    run_id: str = ""
    params_file: str = ""  # set by the runner: the params file, named in recovery commands
    pinned_inputs: dict[str, dict[str, str]] = {}  # set by the runner: the inputs its check read
    namespace: Namespace = ""  # a deployment's own topics (`<namespace>_<department>_notifications`)
    ops_topic: Annotated[str, AfterValidator(_topic)] = "backlog_alerts_ops"
    dry_run: bool = False
    # 01 topic setup
    topic_tags: dict[str, str] = {"app": "backlog-alerts"}
    kms_master_key_id: str = ""
    # 02 subscription sync (and 04 backtest: who would have received what)
    contacts_uri: Location = "s3://backlog-alerts-demo-contacts/contacts.csv"
    default_phone_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"
    on_invalid_row: OnInvalidRow = "skip"
    max_contacts: Annotated[int, Field(gt=0)] = 5000
    max_removal_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    allow_mass_removal: bool = False
    # 03 alert check
    report_uri: Location = "s3://backlog-alerts-demo-reports/2019/feb/final_report.csv"
    report_period: Period = ""
    expected_period: Period = ""
    service_column: Annotated[str, Field(min_length=1)] = "service_name"
    count_column: Annotated[str, Field(min_length=1)] = "count"
    report_kind: ReportKind = "counts"
    closed_statuses: Annotated[list[str], Field(min_length=1)] = ["Closed", "Referred"]
    min_age_days: Annotated[int, Field(ge=0)] = 0
    include_duplicate_requests: bool = False
    missing_service: MissingService = "error"
    rules: list[dict[str, Any]] = DEMO_RULES
    notify_resolved: bool = False
    mutes: list[dict[str, Any]] = []
    message_templates: dict[str, str] = {}
    state_uri: StateLocation = "s3://backlog-alerts-demo-state/alert_state.json"  # "": the project's
    sms_price_usd: Annotated[float, Field(gt=0)] = 0.01  # one SMS, weighed against the monthly spend limit
    # 04 backtest
    reports_uri: str = "s3://backlog-alerts-demo-reports/2019/"  # an s3:// prefix or a local folder
    proposed_rules: list[dict[str, Any]] = []
    # The runner's own keys.
    output_dir: Annotated[str, AfterValidator(_writable), Field(min_length=1)] = "outputs"
    execution_timeout: Seconds = 300  # seconds one cell may take
    notebook_timeout: Seconds = 900  # seconds one whole notebook may take, kernel start-up included
    lock_wait: Annotated[float, Field(ge=0)] = 60  # seconds to wait for another run on the same output
    aws_retry_mode: RetryMode = "standard"  # botocore retry mode for every AWS client
    aws_max_attempts: Annotated[int, Field(ge=1, le=20)] = 5  # attempts per AWS call, the first included
    keep_runs: Annotated[int, Field(gt=0)] | None = None  # retention: keep the newest N run folders
    keep_days: Annotated[int, Field(gt=0)] | None = None  # retention: remove run folders older than this

    _alert_rules: list[Rule] = PrivateAttr(default_factory=list)

    @property
    def alert_rules(self) -> list[Rule]:
        """The rules, parsed and checked once here (the runner's checks and commands use these; each
        notebook, runnable alone, parses its own parameters)."""
        return self._alert_rules

    @property
    def ops_topic_name(self) -> str:
        """The ops topic's name in this deployment's namespace ("" for none)."""
        return ops_topic_name(self.ops_topic, self.namespace)

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        """Rules, mutes and templates are checked against the departments, as the alert check will."""
        key = "departments"
        try:
            for department, display_name in self.departments.items():
                topic_name(department, self.namespace)
                check_display_name(department, display_name)
            key = "ops_topic"
            ops_topic_name(self.ops_topic, self.namespace)
            key = "rules"
            rules = self._alert_rules = parse_rules(self.rules, self.departments)
            key = "proposed_rules"
            if self.proposed_rules:
                parse_rules(self.proposed_rules, self.departments)
            key = "mutes"
            parse_mutes(self.mutes, self.departments, rules)
            key = "message_templates"
            check_messages(rules, self.departments, check_templates(self.message_templates))
        except (TopicError, RuleError, MuteError, MessageError) as err:
            message = str(err)
            raise ValueError(
                message if message.startswith(("departments", key)) else f"{key}: {message}"
            ) from err
        return self


def _where(location: tuple[int | str, ...]) -> str:
    """('rules', 0, 'threshold') -> rules[0].threshold"""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_errors(params: dict[str, Any]) -> list[str]:
    """One line per problem, each starting with the key at fault; empty when the params are valid."""
    try:
        Params.model_validate(params)
    except ValidationError as err:
        lines = []
        for error in err.errors(include_url=False):
            where = _where(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            shown = "" if error["type"] == "value_error" else f" (got {error['input']!r})"
            lines.append(f"{where}: {message}{shown}" if where else message)
        return lines
    return []
