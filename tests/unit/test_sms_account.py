"""The account's SMS settings from SNS-shaped answers: the sandbox, its verified numbers, the spend limit."""

from backlog_alerts.sync.sms_account import SmsAccount, sms_account_of, spend_warning

SANDBOX_PAGES = [
    {"PhoneNumbers": [{"PhoneNumber": "+16195550101", "Status": "Verified"}], "NextToken": "t"},
    {"PhoneNumbers": [{"PhoneNumber": "+16195550102", "Status": "Pending"}]},
]


def test_a_new_account_in_the_sandbox_texts_only_its_verified_numbers_up_to_one_dollar():
    account = sms_account_of({"IsInSandbox": True}, SANDBOX_PAGES, {"attributes": {"MonthlySpendLimit": "1"}})
    assert account == SmsAccount(True, frozenset({"+16195550101"}), 1.0)  # month's spend not asked
    assert account.shown() == {
        "in_sandbox": True,
        "verified_numbers": 1,
        "spend_limit_usd": 1.0,
        "spent_this_month_usd": None,
        "notes": [],
    }


def test_the_months_spend_is_the_highest_datapoint_and_nothing_without_one():
    spent = {"Datapoints": [{"Maximum": 0.31}, {"Maximum": 0.42}]}
    assert sms_account_of(None, [], None, spent=spent).spent_usd == 0.42
    assert sms_account_of(None, [], None, spent={"Datapoints": []}).spent_usd == 0.0  # no SMS this month
    assert sms_account_of(None, [], None).spent_usd is None  # not asked, or refused


def test_what_was_not_answered_stays_unknown_with_why():
    account = sms_account_of(None, [], None, notes=["get_sms_sandbox_account_status: AuthorizationError"])
    assert (account.in_sandbox, account.spend_limit_usd) == (None, None)
    assert account.notes == ("get_sms_sandbox_account_status: AuthorizationError",)
    assert sms_account_of({"IsInSandbox": False}, [], {"attributes": {}}).spend_limit_usd is None


def test_the_spend_warning_names_the_texts_the_cost_and_how_to_raise_the_limit():
    assert spend_warning(SmsAccount(spend_limit_usd=1.0), 50, 0.01) == ""
    warning = spend_warning(SmsAccount(spend_limit_usd=1.0), 200, 0.01)
    assert warning.startswith(
        "this run's 200 SMS cost about 2.00 USD at 0.01 USD each (this month's spend so far not known): "
        "200% of the account's monthly SMS spend limit of 1 USD"
    )
    assert "SetSMSAttributes" in warning
    assert spend_warning(SmsAccount(spend_limit_usd=None), 200, 0.01) == ""
    assert spend_warning(SmsAccount(spend_limit_usd=1.0), 0, 0.01) == ""


def test_what_the_month_spent_already_counts():
    near = SmsAccount(spend_limit_usd=1.0, spent_usd=0.45)
    assert spend_warning(SmsAccount(spend_limit_usd=1.0, spent_usd=0.4), 10, 0.01) == ""  # 50%: time enough
    assert "(0.45 USD spent this month before it): 55% of" in spend_warning(near, 10, 0.01)
    assert spend_warning(near, 0, 0.01) == ""  # this run texts nobody
