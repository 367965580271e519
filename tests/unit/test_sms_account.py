"""The account's SMS settings from SNS-shaped answers: the sandbox, its verified numbers, the spend limit."""

from backlog_alerts.sync.sms_account import SmsAccount, sms_account_of, spend_warning

SANDBOX_PAGES = [
    {"PhoneNumbers": [{"PhoneNumber": "+16195550101", "Status": "Verified"}], "NextToken": "t"},
    {"PhoneNumbers": [{"PhoneNumber": "+16195550102", "Status": "Pending"}]},
]


def test_a_new_account_in_the_sandbox_texts_only_its_verified_numbers_up_to_one_dollar():
    account = sms_account_of({"IsInSandbox": True}, SANDBOX_PAGES, {"attributes": {"MonthlySpendLimit": "1"}})
    assert account == SmsAccount(True, frozenset({"+16195550101"}), 1.0)
    assert account.shown() == {"in_sandbox": True, "verified_numbers": 1, "spend_limit_usd": 1.0, "notes": []}


def test_what_was_not_answered_stays_unknown_with_why():
    account = sms_account_of(None, [], None, ["get_sms_sandbox_account_status: AuthorizationError"])
    assert (account.in_sandbox, account.spend_limit_usd) == (None, None)
    assert account.notes == ("get_sms_sandbox_account_status: AuthorizationError",)
    assert sms_account_of({"IsInSandbox": False}, [], {"attributes": {}}).spend_limit_usd is None


def test_the_spend_warning_names_the_texts_the_cost_and_how_to_raise_the_limit():
    assert spend_warning(SmsAccount(spend_limit_usd=1.0), 50, 0.01) == ""
    warning = spend_warning(SmsAccount(spend_limit_usd=1.0), 200, 0.01)
    assert warning.startswith("this run's 200 SMS cost about 2.00 USD at 0.01 USD each, 200% of the account")
    assert "SetSMSAttributes" in warning
    assert spend_warning(SmsAccount(spend_limit_usd=None), 200, 0.01) == ""
    assert spend_warning(SmsAccount(spend_limit_usd=1.0), 0, 0.01) == ""
