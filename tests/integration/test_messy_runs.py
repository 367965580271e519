"""Messy inputs and run sequences as a city's data engineer makes them, through `backlog-alerts run`
against the emulator, judged from its real state: subscriptions, deliveries to SQS queues on the
topics (a director's inbox, the ops inbox) and the alert state.

Each scenario runs once per module (its runs build on one another); the tests then read what it saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import yaml
from helpers import ROOT, clean_env, reset_emulator, run_cli, subscribe_queue

from backlog_alerts.io import emulator
from backlog_alerts.sync.topics import ensure_topics

pytestmark = pytest.mark.integration
HEADER = "Name,Email,Phone,Department"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    inbox: dict[str, list[dict]]  # queue -> messages delivered during this run
    people: dict[tuple[str, str, str], str]  # (topic, protocol, endpoint) -> subscription ARN, after it
    audit: dict = field(default_factory=dict)  # the audit row of this run


def write_params(path: Path, rules_yaml: str = "", **changes) -> Path:
    """params/local.yaml with changes; `rules_yaml` is written as YAML text, as a person types it."""
    params = {**yaml.safe_load((ROOT / "params" / "local.yaml").read_text()), **changes}
    text = yaml.safe_dump({k: v for k, v in params.items() if not (rules_yaml and k == "rules")})
    path.write_text(text + rules_yaml)
    return path


class City:
    """One emulator, the topics with an inbox queue each, and a folder of inputs and outputs."""

    def __init__(self, endpoint: str, folder: Path):
        reset_emulator(endpoint)
        self.env = emulator.emulator_environ(endpoint, clean_env())
        self.folder, self.out = folder, folder / "out"
        with emulator.patched_environ(self.env):
            self.sns, self.sqs = boto3.client("sns"), boto3.client("sqs")
        topics = ensure_topics(self.sns, {"trash": "", "streets": ""}, ops_topic="backlog_alerts_ops")
        self.queues = {
            t.department: subscribe_queue(self.sqs, self.sns, t.arn, f"inbox-{t.department}") for t in topics
        }

    def write(self, name: str, text: str, newline: str = "\n", bom: bool = False) -> str:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(("\ufeff" if bom else "").encode() + text.replace("\n", newline).encode())
        return str(path)

    def params(self, name: str, rules_yaml: str = "", **changes) -> Path:
        return write_params(self.folder / name, rules_yaml, **changes)

    def run(self, params: Path) -> Run:
        result = run_cli(["run", "--params", str(params), "--output-dir", str(self.out)], self.env)
        rows = json.loads(
            run_cli(["audit", "--output-dir", str(self.out), "--format", "json"], self.env).stdout
        )["runs"]
        return Run(
            result.returncode,
            result.stdout,
            result.stderr,
            self.drain(),
            self.people(),
            rows[-1] if rows else {},
        )

    def drain(self) -> dict[str, list[dict]]:
        delivered = {}
        for name, url in self.queues.items():
            messages = []
            while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                for m in batch:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    messages.append(json.loads(m["Body"]))
            delivered[name] = messages
        return delivered

    def people(self) -> dict[tuple[str, str, str], str]:
        pages = self.sns.get_paginator("list_subscriptions").paginate()
        return {
            (s["TopicArn"].rsplit(":", 1)[1], s["Protocol"], s["Endpoint"]): s["SubscriptionArn"]
            for page in pages
            for s in page["Subscriptions"]
            if s["Protocol"] in ("email", "sms")
        }


def subjects(run: Run, inbox: str) -> list[str]:
    return [m["Subject"] for m in run.inbox[inbox]]


# --- directors come and go, through Excel -----------------------------------------------------------

DIRECTORS = f"""{HEADER}
Dana Okafor,Dana.Okafor@example.gov,+16195550101,streets
Luis Ortega,luis.ortega@example.gov,(619) 555-0102,streets
Ann Lee,ann.lee@example.gov,6195550105,streets
Mia Chen,mia.chen@example.gov,619.555.0103,trash
Ravi Patel,ravi.patel@example.gov,+1 619 555 0104,trash
"""
# The same file opened and saved in Excel: phones as numbers, addresses retyped in other case, one
# person listed twice, and a department typed as it is said.
EXCEL_RESAVED = f"""{HEADER}
Dana Okafor,DANA.OKAFOR@EXAMPLE.GOV,1.61956E+10,streets
"Okafor, Dana",dana.okafor@example.gov,1.61956E+10,streets
Luis Ortega,Luis.Ortega@Example.gov,1.61956E+10,streets
Ann Lee,ann.lee@example.gov,1.61956E+10,Streets Dept
Mia Chen,mia.chen@example.gov,1.61956E+10,trash
Ravi Patel,RAVI.PATEL@example.gov,1.61956E+10,trash
"""
TRUNCATED = f"{HEADER}\nMia Chen,mia.chen@example.gov,+16195550103,trash\n"
# A report named without a period, and the same numbers exported again in another order.
LATEST = "service_name,count\nPothole,163\nIllegal Dumping,27\n"
LATEST_RE_EXPORTED = "service_name , count\nIllegal Dumping , 27\nPothole , 163\n"
APRIL = "service_name,count\nPothole,180\nIllegal Dumping,41\n"
# `threshold: 030` as a person types it: thirty, not YAML 1.1's octal 24.
RULES_YAML = """rules:
- {name: potholes, service_name: Pothole, department: streets, threshold: 100}
- {name: illegal_dumping, service_name: Illegal Dumping, department: trash, threshold: 030}
"""


def topic_arn(city: City, department: str) -> str:
    arns = [t["TopicArn"] for t in city.sns.list_topics()["Topics"]]
    return next(a for a in arns if a.endswith(f":{department}_notifications"))


@pytest.fixture(scope="module")
def directors(moto_endpoint, tmp_path_factory):
    """Three runs: the contacts file as kept, the file after Excel (with the report re-exported),
    then a truncated file with the next month's report."""
    city = City(moto_endpoint, tmp_path_factory.mktemp("directors"))
    common = {
        "departments": {"trash": "Trash", "streets": "Calles – Vías"},  # SMS needs ASCII: folded
        "state_uri": str(city.folder / "state" / "alert_state.json"),
    }
    runs = {}
    for step, contacts, report, text in (
        ("first", DIRECTORS, "latest/final_report.csv", LATEST),
        ("excel", EXCEL_RESAVED, "latest/final_report.csv", LATEST_RE_EXPORTED),
        ("truncated", TRUNCATED, "2019/04/final_report.csv", APRIL),
    ):
        excel = step == "excel"  # Excel writes CRLF, and this export puts a BOM in front
        uri = city.write(f"contacts-{step}.csv", contacts, newline="\r\n" if excel else "\n")
        report = city.write(report, text, newline="\r\n" if excel else "\n", bom=excel)
        params = city.params(f"{step}.yaml", RULES_YAML, contacts_uri=uri, report_uri=report, **common)
        runs[step] = city.run(params)
    display_name = city.sns.get_topic_attributes(TopicArn=topic_arn(city, "streets"))["Attributes"][
        "DisplayName"
    ]
    return runs, display_name


def test_a_threshold_written_030_is_thirty_and_a_non_ascii_display_name_is_folded(directors):
    runs, display_name = directors
    first = runs["first"]
    assert first.code == 0, first.stderr
    assert subjects(first, "streets") == ["[WARNING] Pothole backlog 163 > 100"]
    assert subjects(first, "trash") == [], "27 is under thirty (YAML 1.1 read 030 as 24, and fired)"
    assert display_name == "Calles - Vias"
    assert len(first.people) == 10


def test_a_contacts_file_saved_by_excel_keeps_every_subscription_as_it_was(directors):
    runs, _ = directors
    excel = runs["excel"]
    assert excel.code == 0, excel.stderr
    assert excel.people == runs["first"].people, "same subscriptions, same ARNs: nobody re-confirms"
    assert "subscriptions: 0 added, 0 removed, 6 removals held" in excel.stdout
    assert (
        "6 invalid emails or phones dropped (first: row 2, Phone: '1.*****E+10' is a number in scientific"
        in excel.stdout
    )
    assert "1 rows rejected, 6 invalid emails or phones dropped" in excel.stdout  # the run's own summary


def test_a_report_without_a_period_re_exported_does_not_page_again(directors):
    runs, _ = directors
    excel = runs["excel"]
    assert "report: ok, period unknown" in excel.stdout and "rules: 1 quiet, 1 suppressed" in excel.stdout
    assert excel.inbox == {"streets": [], "trash": [], "ops": []}


def test_a_row_rejected_for_an_unknown_department_is_counted(directors):
    runs, _ = directors
    excel = runs["excel"]
    assert "1 rows rejected" in excel.stdout
    subscriptions = excel.audit["subscriptions"]
    assert subscriptions["rejected_rows"] == 1 and subscriptions["held"] == 6


def test_the_removal_guard_protects_subscriptions_but_does_not_silence_alerts(directors):
    runs, _ = directors
    truncated = runs["truncated"]
    assert truncated.code == 1
    assert truncated.people == runs["first"].people, "the guard changed nothing"
    assert subjects(truncated, "streets") == ["[WARNING] Pothole backlog 180 > 100"]
    assert subjects(truncated, "trash") == ["[WARNING] Illegal Dumping backlog 41 > 30"]
    (notice,) = truncated.inbox["ops"]
    assert notice["Subject"] == "[OPS] backlog-alerts run failed at 02_subscription_sync"
    assert (
        "SyncGuardError: the plan would remove more than 50% of the subscriptions on streets"
        in notice["Message"]
    )
    assert "02_subscription_sync.ipynb failed: SyncGuardError" in truncated.stderr
    assert "alerts: 2 message(s) published" in truncated.stdout
    assert truncated.audit["status"].startswith("failed")
    assert [(a["rule"], a["action"]) for a in truncated.audit["alerts"] if a["message_id"]] == [
        ("potholes", "publish"),
        ("illegal_dumping", "publish"),
    ]


# --- months re-run out of order, re-exports, outages ------------------------------------------------

MARCH = "service_name,count\nPothole,150\nIllegal Dumping,40\n"
FEBRUARY = "service_name,count\nPothole,250\nIllegal Dumping,50\n"
MARCH_RE_EXPORTED = "service_name , count\nIllegal Dumping , 40\nPothole , 150\n"  # other order, spaces


@pytest.fixture(scope="module")
def months(moto_endpoint, tmp_path_factory):
    """March, then February re-run after it, then March again as another export of the same numbers;
    then two different reports without a period missing, one after the other."""
    city = City(moto_endpoint, tmp_path_factory.mktemp("months"))
    runs = {}
    periods = {"state_uri": str(city.folder / "periods-state.json")}
    for step, path, text, crlf in (
        ("march", "2019/03/final_report.csv", MARCH, False),
        ("february", "2019/02/final_report.csv", FEBRUARY, False),
        ("march again", "2019/03/final_report.csv", MARCH_RE_EXPORTED, True),
    ):
        report = city.write(path, text, newline="\r\n" if crlf else "\n", bom=crlf)
        runs[step] = city.run(city.params(f"{step}.yaml", report_uri=report, **periods))
    for name in ("gone-a.csv", "gone-b.csv"):  # two reports without a period, missing one after the other
        missing = str(city.folder / "latest" / name)
        runs[f"missing {name}"] = city.run(city.params(f"{name}.yaml", report_uri=missing, **periods))
    return runs


def test_february_re_run_after_march_is_stale_and_does_not_reset_march(months):
    march, february, again = months["march"], months["february"], months["march again"]
    assert subjects(march, "streets") == ["[WARNING] Pothole backlog 150 > 100"]
    assert subjects(march, "trash") == ["[WARNING] Illegal Dumping backlog 40 > 30"]
    assert february.code == 0 and "report: stale, period 2019-02" in february.stdout
    assert subjects(february, "streets") == subjects(february, "trash") == []
    (notice,) = february.inbox["ops"]
    assert notice["Subject"] == "[OPS] backlog-alerts: report stale for 2019-02"
    assert "but 2019-03 was already checked" in notice["Message"]
    assert again.code == 0 and "alerts: 0 message(s) published; rules: 2 suppressed" in again.stdout
    assert again.inbox == {"streets": [], "trash": [], "ops": []}, "March is not sent twice"


def test_each_missing_report_reaches_ops(months):
    a, b = months["missing gone-a.csv"], months["missing gone-b.csv"]
    for run, name in ((a, "gone-a.csv"), (b, "gone-b.csv")):
        assert run.code == 0 and "report: missing" in run.stdout
        (notice,) = run.inbox["ops"]
        assert notice["Subject"].startswith("[OPS] backlog-alerts: report missing for ")
        assert name in notice["Message"]
        assert run.inbox["streets"] == run.inbox["trash"] == []


# --- refused before the first change ------------------------------------------------------------------


def refused(aws_endpoint, tmp_path, rules_yaml="", process=False, **changes):
    """A run given these params: its exit code and last line, and whether AWS was touched at all."""
    city_env = emulator.emulator_environ(aws_endpoint, clean_env())
    path = write_params(tmp_path / "params.yaml", rules_yaml, **changes)
    args = ["run", "--params", str(path), "--output-dir", str(tmp_path / "out")]
    result = run_cli(args, city_env, process=process)
    with emulator.patched_environ(city_env):
        sns = boto3.client("sns")
        touched = sns.list_topics()["Topics"] or emulator.published_messages(aws_endpoint)
    last = result.stderr.strip().splitlines()[-1]
    folders = [p for p in (tmp_path / "out").iterdir() if p.is_dir()] if (tmp_path / "out").exists() else []
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in sorted(folders)]
    # A refused run is on the trail (the ops topic does not exist yet: nobody told), and nothing else.
    assert all(m["status"] == "refused" for m in manifests)
    assert all(
        sorted(p.name for p in folder.iterdir()) == ["manifest.json", "record.json"] for folder in folders
    )
    assert not manifests or f"error: {manifests[-1]['error']}" == last
    return result.returncode, last, bool(touched)


def test_an_expected_period_that_cannot_be_checked_stops_the_run(aws_endpoint, tmp_path):
    report = tmp_path / "final" / "latest_report.csv"
    report.parent.mkdir()
    report.write_text("service_name,count\nPothole,163\nIllegal Dumping,47\n")
    code, line, touched = refused(aws_endpoint, tmp_path, report_uri=str(report), expected_period="2019-03")
    assert (code, touched) == (2, False)
    assert line == (
        f"error: {report}: expected_period is 2019-03, but this report's period is unknown: set report_period, "
        "or put the period in the key (e.g. 2019/feb/final_report.csv)"
    )


def test_a_rule_whose_service_yaml_read_as_a_number_stops_the_run(aws_endpoint, tmp_path):
    rules = "rules:\n- {name: graffiti, service_name: 311, department: streets, threshold: 5}\n"
    code, line, touched = refused(aws_endpoint, tmp_path, rules)
    assert (code, touched) == (2, False)
    assert line.endswith(
        "rules: rule graffiti, service_name: 311 is not text (quote it in the params file: '311')"
    )


@pytest.mark.parametrize("where", ["folder", "unwritable"])
def test_a_state_location_that_cannot_hold_the_state_stops_the_run(aws_endpoint, tmp_path, where):
    state = {"folder": str(tmp_path), "unwritable": "/sys/alert_state.json"}[where]
    code, line, touched = refused(aws_endpoint, tmp_path, state_uri=state)
    assert (code, touched) == (2, False)
    assert (
        line
        == {
            "folder": f"error: {tmp_path}: is a folder; state_uri must name a file (e.g. {tmp_path}/alert_state.json)",
            "unwritable": f"error: {state}: cannot write alert state there: Permission denied",
        }[where]
    )


def test_a_huge_report_is_parsed_in_seconds_and_bounded_by_the_cell_timeout(aws_endpoint, tmp_path):
    """100,000 rows once took 13 minutes in the pre-run check, then timed out notebook 3."""
    rows = "".join(f"Service {i},{i % 90}\n" for i in range(100_000))
    twin = tmp_path / "2019" / "03" / "twin.csv"
    twin.parent.mkdir(parents=True)
    twin.write_text("service_name,count\nPothole,163\nIllegal Dumping,47\n" + rows + "SERVICE 5,1\n")
    code, line, touched = refused(aws_endpoint, tmp_path, report_uri=str(twin))
    assert (code, touched) == (2, False)
    assert (
        line
        == f"error: {twin}: row 100004, service_name: 'SERVICE 5' differs from 'Service 5' only by case: which one is meant?"
    )
    huge = tmp_path / "2019" / "03" / "huge.csv"
    with huge.open("w") as out:  # 3,000,000 rows: longer to read than the 1 s allowed here
        out.write("service_name,count\nPothole,163\nIllegal Dumping,47\n")
        out.writelines(f"Service {i},{i % 90}\n" for i in range(3_000_000))
    # A process: the check it stops goes on reading in its thread until the process ends.
    code, line, touched = refused(
        aws_endpoint, tmp_path, process=True, report_uri=str(huge), execution_timeout=1
    )
    assert (code, touched) == (2, False)
    assert line == (
        "error: the inputs could not be read and checked within 1 s (execution_timeout); nothing was changed. "
        "Is the report or the contacts file far larger than usual?"
    )
