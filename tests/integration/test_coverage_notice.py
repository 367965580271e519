"""The coverage notice against the emulator: the account's SMS settings as moto answers them, and a
run whose texts would use most of the monthly spend limit, told to ops once a month."""

import time
from datetime import UTC, datetime

import pytest
from helpers import clean_env, drain, params_file, run_cli, subscribe_queue

from backlog_alerts.io import aws, emulator
from backlog_alerts.io.demo import demo_bytes
from backlog_alerts.sync.sms_account import read_sms_account

pytestmark = pytest.mark.integration


def spent_this_month(usd: float) -> None:
    """What SNS reports to CloudWatch as the month's SMS spend so far."""
    aws.client("cloudwatch", "us-east-1").put_metric_data(
        Namespace="AWS/SNS",
        MetricData=[{"MetricName": "SMSMonthToDateSpentUSD", "Value": usd, "Timestamp": datetime.now(UTC)}],
    )


def test_the_spend_limit_and_the_months_spend_are_read_and_a_sandbox_moto_lacks_is_unknown_at_once(
    aws_endpoint, sns
):
    sns.set_sms_attributes(attributes={"MonthlySpendLimit": "5"})
    spent_this_month(0.5)
    started = time.monotonic()
    account = read_sms_account(aws.client("sns", "us-east-1"), "us-east-1", ask_sandbox=True)
    assert time.monotonic() - started < 2  # one attempt: botocore would retry moto's HTTP 500 for seconds
    assert (account.in_sandbox, account.spend_limit_usd, account.spent_usd) == (None, 5.0, 0.5)
    assert account.notes == ("get_sms_sandbox_account_status: ResponseParserError",)
    skipped = read_sms_account(aws.client("sns", "us-east-1"), "us-east-1", ask_sandbox=False)
    assert skipped.notes == ("sandbox status not asked: the emulator does not implement it",)


def test_the_months_sms_spend_is_told_at_half_the_limit_and_again_past_it(aws_endpoint, sns, sqs, tmp_path):
    ops = subscribe_queue(sqs, sns, sns.create_topic(Name="backlog_alerts_ops")["TopicArn"], "ops-inbox")
    sns.set_sms_attributes(attributes={"MonthlySpendLimit": "0.1"})
    spent_this_month(0.02)
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = params_file(tmp_path, output_dir=str(tmp_path / "out"), sms_price_usd=0.01)
    first = run_cli(["run", "--params", str(params)], env)  # the demo: 5 numbers texted, 0.05 USD
    assert first.returncode == 0, first.stderr
    (notice,) = drain(sqs, ops)
    assert notice["Subject"] == "[OPS] backlog-alerts: SMS spend near the limit"
    assert (
        "this run's 5 SMS cost about 0.05 USD at 0.01 USD each (0.02 USD spent this month before it): 70% "
        "of the account's monthly SMS spend limit of 0.1 USD"
    ) in notice["Message"]

    spent_this_month(0.07)  # as SNS reports it after those texts
    march = tmp_path / "2019" / "03" / "final_report.csv"
    march.parent.mkdir(parents=True)
    march.write_bytes(demo_bytes("final_report.csv"))  # February's counts again, as March's report
    params = params_file(tmp_path, output_dir=str(tmp_path / "out"), report_uri=str(march))
    second = run_cli(["run", "--params", str(params)], env)  # a new period: texted again, past the limit
    assert second.returncode == 0, second.stderr
    (notice,) = drain(sqs, ops)
    assert "(0.07 USD spent this month before it): 120% of" in notice["Message"]


def test_a_department_with_rules_and_nobody_in_the_contacts_file_is_unheard_and_ops_hear_it(
    aws_endpoint, sns, sqs, tmp_path
):
    ops = subscribe_queue(sqs, sns, sns.create_topic(Name="backlog_alerts_ops")["TopicArn"], "ops-inbox")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Name,Email,Phone,Department\nDana Whitfield,dana.whitfield@example.gov,,trash\n")
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = params_file(tmp_path, contacts_uri=str(contacts), output_dir=str(tmp_path / "out"))
    result = run_cli(["run", "--params", str(params)], env)
    assert result.returncode == 0, result.stderr
    (streets,) = [line for line in result.stdout.splitlines() if "-> streets, publish" in line]
    assert streets.endswith(", REACHED NOBODY (0 pending, 0 opted out)")
    (notice,) = drain(sqs, ops)
    assert notice["Subject"] == "[OPS] backlog-alerts: 1 alert(s) reach nobody"
    assert (
        "streets: Pothole 163 > 100 (rule potholes, period 2019-02), published by this run"
        in notice["Message"]
    )
    assert "trash" not in notice["Message"].split("\n\n")[0]  # Dana's confirmed email hears trash's alert


def test_a_dry_run_says_whom_each_alert_would_reach_and_tells_ops_nothing(aws_endpoint, sns, sqs, tmp_path):
    ops = subscribe_queue(sqs, sns, sns.create_topic(Name="backlog_alerts_ops")["TopicArn"], "ops-inbox")
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = params_file(tmp_path, output_dir=str(tmp_path / "out"), dry_run=True)
    result = run_cli(["run", "--params", str(params)], env)  # the sync only plans: nobody is subscribed
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (streets,) = [line for line in lines if "-> streets, would publish (dry run)" in line]
    assert streets.endswith(", WOULD REACH NOBODY (0 pending, 0 opted out)")
    assert "coverage: 2 new, 0 told before; ops notice dry run: would notify the ops topic" in lines
    assert drain(sqs, ops) == []
