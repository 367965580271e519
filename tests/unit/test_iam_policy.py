"""The least-privilege IAM policy in deploy/iam-policy.json names its resources wherever IAM can scope an action.

tests/integration/test_iam_operations.py checks that it allows exactly the operations a full run makes.
"""

from __future__ import annotations

from helpers import iam_policy


def test_the_policy_names_resources_except_for_actions_iam_cannot_scope():
    unscoped = {
        "sns:ListTopics",
        "sns:Unsubscribe",
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:ListPhoneNumbersOptedOut",  # account-wide: the opt-out list of SMS numbers
        "sns:CheckIfPhoneNumberIsOptedOut",
        "sns:GetSMSSandboxAccountStatus",  # the account's SMS sandbox and spend limit
        "sns:ListSMSSandboxPhoneNumbers",
        "sns:GetSMSAttributes",
        "cloudwatch:GetMetricStatistics",  # the month's SMS spend so far (SMSMonthToDateSpentUSD)
    }
    for statement in iam_policy()["Statement"]:
        if statement["Resource"] == "*":
            assert set(statement["Action"]) <= unscoped
        else:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            assert all(":::" in r or ":123456789012:" in r for r in resources), statement
