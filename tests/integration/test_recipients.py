"""`backlog-alerts recipients` against the emulator: opted-out numbers and departments nobody hears."""

import json

import pytest
from helpers import clean_env, drain, params_file, run_cli, subscribe_queue

from backlog_alerts.errors import EXIT_OK, EXIT_UNHEARD
from backlog_alerts.io import aws, emulator
from backlog_alerts.sync.reach import opted_out_numbers
from backlog_alerts.sync.topics import ensure_topics

pytestmark = pytest.mark.integration
LISTED = "+447420500600"  # on moto's list of opted-out numbers (ListPhoneNumbersOptedOut)
ENDS_IN_99 = "+16195550199"  # moto's CheckIfPhoneNumberIsOptedOut says yes to numbers ending in 99


def test_many_numbers_are_settled_by_the_opt_out_list_and_one_by_asking(aws_endpoint):
    sns = aws.client("sns", "us-east-1")
    calls = aws.count_calls(sns)
    assert opted_out_numbers(sns, [LISTED, "+16195550101", "+16195550102"]) == {LISTED}
    assert dict(calls) == {"ListPhoneNumbersOptedOut": 1}
    calls.clear()
    assert opted_out_numbers(sns, [ENDS_IN_99]) == {ENDS_IN_99}
    assert dict(calls) == {"CheckIfPhoneNumberIsOptedOut": 1}
    assert opted_out_numbers(sns, []) == set() and not calls.keys() - {"CheckIfPhoneNumberIsOptedOut"}


def test_a_department_with_rules_whose_only_number_opted_out_fails_the_check(aws_endpoint, sns, tmp_path):
    topics = {t.department: t.arn for t in ensure_topics(sns, {"trash": "Trash", "streets": "Streets"})}
    sns.subscribe(TopicArn=topics["trash"], Protocol="email", Endpoint="dana.okafor@example.gov")
    sns.subscribe(TopicArn=topics["trash"], Protocol="sms", Endpoint="+16195550101")
    sns.subscribe(TopicArn=topics["streets"], Protocol="sms", Endpoint=LISTED)
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    result = run_cli(["recipients", "--params", str(params_file(tmp_path))], env)  # the demo: rules on both
    assert result.returncode == EXIT_UNHEARD, result.stderr
    lines = result.stdout.splitlines()
    assert "trash: 2 reachable endpoints (before filter policies)" in lines
    assert "streets: 0 reachable endpoints (before filter policies)" in lines
    assert "  warning (rule potholes): REACHES NOBODY" in lines
    assert "  opted out: +4*******0600" in lines
    assert lines[-1] == "nobody would hear the alerts of: streets warning (potholes)"
    assert lines[-2] == (
        "SMS sandbox: not known; monthly SMS spend limit: not known "
        "(sandbox status not asked: the emulator does not implement it)"
    )
    assert "dana.okafor" not in result.stdout and "5550101" not in result.stdout

    trash_rule = {
        "name": "dumping",
        "service_name": "Illegal Dumping",
        "department": "trash",
        "threshold": 30,
    }
    result = run_cli(["recipients", "--params", str(params_file(tmp_path, rules=[trash_rule]))], env)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "streets (no rules): 0 reachable endpoints (before filter policies)" in result.stdout.splitlines()


def test_an_alert_to_a_department_nobody_would_hear_is_published_recorded_and_told_to_ops_once(
    aws_endpoint, sns, sqs, tmp_path
):
    ops = subscribe_queue(sqs, sns, sns.create_topic(Name="backlog_alerts_ops")["TopicArn"], "ops-inbox")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "Name,Email,Phone,Department\n"
        "Dana Whitfield,dana.whitfield@example.gov,+16195550101,trash\n"
        f"Sam Stopped,,{LISTED},streets\n"
    )
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = params_file(tmp_path, contacts_uri=str(contacts), output_dir=str(tmp_path / "out"))
    result = run_cli(["run", "--params", str(params)], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (streets,) = [line for line in lines if "-> streets, publish" in line]
    assert streets.endswith(", REACHED NOBODY (0 pending, 1 opted out)")
    (trash,) = [line for line in lines if "-> trash, publish" in line]
    assert trash.endswith(", reached 2 endpoints")

    audit = run_cli(["audit", "--output-dir", str(tmp_path / "out"), "--format", "json"], env)
    (run,) = json.loads(audit.stdout)["runs"]
    by_department = {a["department"]: a for a in run["alerts"]}
    assert by_department["streets"]["message_id"] and by_department["streets"]["reached"] == 0
    assert by_department["streets"]["reach"]["opted_out"] == ["+4*******0600"]
    assert by_department["trash"]["reached"] == 2 and len(by_department["trash"]["reach"]["reached"]) == 2
    assert "dana.whitfield" not in audit.stdout and "5550101" not in audit.stdout

    (notice,) = drain(sqs, ops)  # one coverage notice: the unheard alert and the opted-out number
    assert notice["Subject"] == "[OPS] backlog-alerts: 1 alert(s) reach nobody, 1 number(s) opted out"
    assert (
        "streets: Pothole 163 > 100 (rule potholes, period 2019-02), published by this run"
        in notice["Message"]
    )
    assert "streets: +4*******0600" in notice["Message"] and "opt-in-phone-number" in notice["Message"]
    assert LISTED not in notice["Message"] and "5550101" not in notice["Message"]
    assert run["coverage"]["message_id"] == notice["MessageId"] and run["coverage"]["action"] == "published"
    assert "coverage: 2 new, 0 told before; ops notice published" in result.stdout

    again = run_cli(["run", "--params", str(params)], env)  # the same report: nothing new to tell
    assert again.returncode == 0, again.stderr
    assert drain(sqs, ops) == []
    assert "coverage: 0 new, 2 told before; ops notice nothing new" in again.stdout


def test_a_warning_to_directors_who_asked_for_critical_only_reaches_nobody_and_everyone_says_so(
    aws_endpoint, sns, sqs, tmp_path
):
    ops = subscribe_queue(sqs, sns, sns.create_topic(Name="backlog_alerts_ops")["TopicArn"], "ops-inbox")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "Name,Email,Phone,Department,Alerts\n"
        "Dana Whitfield,dana.whitfield@example.gov,+16195550101,trash,all\n"
        "Sam Critical,sam.critical@example.gov,+16195550102,streets,critical\n"
    )
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = params_file(tmp_path, contacts_uri=str(contacts), output_dir=str(tmp_path / "out"))
    result = run_cli(["run", "--params", str(params)], env)  # the demo's Pothole alert is a warning
    assert result.returncode == 0, result.stderr  # published, heard by no one: as with nobody subscribed
    lines = result.stdout.splitlines()
    (streets,) = [line for line in lines if "-> streets, publish" in line]
    assert streets.endswith(", REACHED NOBODY (0 pending, 0 opted out)")
    (trash,) = [line for line in lines if "-> trash, publish" in line]
    assert trash.endswith(", reached 2 endpoints")

    (notice,) = drain(sqs, ops)
    assert notice["Subject"] == "[OPS] backlog-alerts: 1 alert(s) reach nobody"
    assert (
        "streets: Pothole 163 > 100 (rule potholes, period 2019-02), published by this run"
        in notice["Message"]
    )
    assert (
        "2 held back by their filter policy" in notice["Message"] and "sam.critical" not in notice["Message"]
    )

    audit = run_cli(["audit", "--output-dir", str(tmp_path / "out"), "--format", "json"], env)
    (run,) = json.loads(audit.stdout)["runs"]
    by_department = {a["department"]: a for a in run["alerts"]}
    assert by_department["streets"]["reached"] == 0 and by_department["trash"]["reached"] == 2

    check = run_cli(["recipients", "--params", str(params)], env)
    assert check.returncode == EXIT_UNHEARD, check.stdout + check.stderr
    out = check.stdout.splitlines()
    assert "streets: 2 reachable endpoints (before filter policies)" in out
    assert (
        "  warning (rule potholes): REACHES NOBODY; held back by filter policy: s*****@example.gov, "
        "+1******0102" in out
    )
    assert "  critical (no rules): reaches 2: s*****@example.gov, +1******0102" in out
    assert out[-1] == "nobody would hear the alerts of: streets warning (potholes)"
    assert "sam.critical" not in check.stdout and "5550102" not in check.stdout
