"""The account's SMS settings that decide whether a text reaches anyone at all.

A new account is in the SMS sandbox (only verified destination numbers receive) and has a monthly
SMS spend limit of 1 USD: past it, SNS stops texting for the rest of the month. What the month has
spent so far is CloudWatch's `SMSMonthToDateSpentUSD`. Each is read where the account allows; what
cannot be read is said so, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backlog_alerts.io import aws


@dataclass(frozen=True)
class SmsAccount:
    """What SNS said of the account's SMS; None where it could not be read, and `notes` say why."""

    in_sandbox: bool | None = None
    verified: frozenset[str] = frozenset()  # destination numbers verified for the sandbox
    spend_limit_usd: float | None = None
    spent_usd: float | None = None  # this month so far
    notes: tuple[str, ...] = ()

    def shown(self) -> dict[str, Any]:
        """For the trail: the verified numbers are counted, not listed."""
        return {
            "in_sandbox": self.in_sandbox,
            "verified_numbers": len(self.verified),
            "spend_limit_usd": self.spend_limit_usd,
            "spent_this_month_usd": self.spent_usd,
            "notes": list(self.notes),
        }


UNKNOWN_ACCOUNT = SmsAccount()


def sms_account_of(
    sandbox: Mapping[str, Any] | None,
    sandbox_numbers: Iterable[Mapping[str, Any]],
    attributes: Mapping[str, Any] | None,
    *,
    spent: Mapping[str, Any] | None = None,
    notes: Iterable[str] = (),
) -> SmsAccount:
    """The account from the answers to GetSMSSandboxAccountStatus, the pages of
    ListSMSSandboxPhoneNumbers, GetSMSAttributes and CloudWatch's GetMetricStatistics on
    SMSMonthToDateSpentUSD (None for a call that was not answered; no datapoint: nothing spent)."""
    limit = (attributes or {}).get("attributes", {}).get("MonthlySpendLimit")
    points = None if spent is None else [p["Maximum"] for p in spent.get("Datapoints", [])]
    return SmsAccount(
        in_sandbox=None if sandbox is None else bool(sandbox["IsInSandbox"]),
        verified=frozenset(
            number["PhoneNumber"]
            for page in sandbox_numbers
            for number in page.get("PhoneNumbers", [])
            if number.get("Status") == "Verified"
        ),
        spend_limit_usd=float(limit) if limit not in (None, "") else None,
        spent_usd=None if points is None else max(points, default=0.0),
        notes=tuple(notes),
    )


def read_sms_account(
    sns: Any, region: str | None, *, ask_sandbox: bool = True, ask_limit: bool = True
) -> SmsAccount:
    """Ask SNS; a call refused (no permission) or not implemented leaves its part unknown.

    The sandbox is asked once, without retries (an emulator that lacks the call answers HTTP 500,
    which botocore would retry for seconds); `ask_sandbox=False` skips it: moto lacks it. The spend
    limit is asked only when something may be texted (`ask_limit`).
    """
    notes: list[str] = []
    probe = aws.client("sns", region, max_attempts=1) if ask_sandbox else sns

    def answer(call: str, client: Any = sns, **kwargs: Any) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = getattr(client, call)(**kwargs)
        except aws.CALL_ERRORS as err:
            notes.append(f"{call}: {aws.error_code(err) or type(err).__name__}")
            return None
        return response

    sandbox = answer("get_sms_sandbox_account_status", probe) if ask_sandbox else None
    if not ask_sandbox:
        notes.append("sandbox status not asked: the emulator does not implement it")
    pages: list[dict[str, Any]] = []
    token = None
    while sandbox and sandbox.get("IsInSandbox"):
        page = answer("list_sms_sandbox_phone_numbers", **({"NextToken": token} if token else {}))
        if page is None:
            break
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    attributes = spent = None
    if ask_limit:
        attributes = answer("get_sms_attributes", attributes=["MonthlySpendLimit"])
        now = datetime.now(UTC)
        spent = answer(
            "get_metric_statistics",
            aws.client("cloudwatch", region),
            Namespace="AWS/SNS",
            MetricName="SMSMonthToDateSpentUSD",
            StartTime=now.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
            EndTime=now + timedelta(minutes=5),
            Period=86400,
            Statistics=["Maximum"],
        )
    else:
        notes.append("spend limit not asked: nothing to text")
    return sms_account_of(sandbox, pages, attributes, spent=spent, notes=notes)


def month_total(account: SmsAccount, texts: int, price_usd: float) -> float:
    """This month's SMS spend once this run's texts are paid for (the month so far counted as 0 when
    not known)."""
    return (account.spent_usd or 0.0) + texts * price_usd


def spend_warning(account: SmsAccount, texts: int, price_usd: float, *, dry_run: bool = False) -> str:
    """Why this run's SMS could pass the monthly limit, or "" when they cannot: told once the month's
    spend with this run reaches half of the limit, so there is time to raise it."""
    limit = account.spend_limit_usd
    cost, total = texts * price_usd, month_total(account, texts, price_usd)
    if limit is None or not texts or total <= limit / 2:
        return ""
    so_far = (
        "this month's spend so far not known"
        if account.spent_usd is None
        else f"{account.spent_usd:.2f} USD spent this month before it"
    )
    return (
        f"this run's {texts} SMS {'would cost' if dry_run else 'cost'} about {cost:.2f} USD at {price_usd} "
        f"USD each ({so_far}): {total / limit:.0%} of the account's monthly SMS spend limit of {limit:g} "
        "USD; past the limit SNS stops texting until next month (raise it in the SNS console, Text "
        "messaging, or with SetSMSAttributes)"
    )
