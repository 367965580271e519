"""The audit trail: three real runs (one failing), read back as table, CSV, JSON and HTML, PII-free."""

import csv
import io
import json
import re
import signal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from faults.aws_faults import spec
from faults.trials import with_faults
from helpers import ROOT, audit_rows, clean_env, demo_rows, reset_emulator, run_cli, run_until_notebook_2

from backlog_alerts.io import emulator, storage
from backlog_alerts.io.demo import demo_bytes
from backlog_alerts.trail.audit import collect, load_runs
from backlog_alerts.trail.audit_data import run_record

pytestmark = pytest.mark.integration
AWS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
FAKE_KEY_ID, FAKE_SECRET = "AKIAZZZZZZZZZZZZZZZZ", "fakeSecretKeyThatMustNeverAppear0123456789"


def write_params(tmp_path, name, **changes):
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params.update(changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture(scope="module")
def trail_runs(moto_endpoint, tmp_path_factory):
    """Three runs into one trail: alerts sent, the same report again (suppressed), then the next
    period's report with SNS refusing every Publish to the streets topic (AuthorizationError)."""
    reset_emulator(moto_endpoint)
    tmp_path = tmp_path_factory.mktemp("trail")
    out = tmp_path / "out"
    # Credentials in the caller's environment must never reach the trail.
    env = {**emulator.emulator_environ(moto_endpoint, clean_env())}
    env_with_keys = {**env, "AWS_ACCESS_KEY_ID": FAKE_KEY_ID, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET}
    refused = {"operation": "Publish", "match": "streets_notifications", "kind": "access_denied"}
    march = tmp_path / "2019" / "03" / "final_report.csv"  # February's counts again, as March's report
    march.parent.mkdir(parents=True)
    march.write_bytes(demo_bytes("final_report.csv"))
    results = [
        run_cli(["run", "--output-dir", str(out)], env_with_keys),
        run_cli(["run", "--output-dir", str(out)], env),
        run_cli(
            [
                "run",
                "--output-dir",
                str(out),
                "--params",
                str(write_params(tmp_path, "broken.yaml", report_uri=str(march))),
            ],
            with_faults(env, spec(permanent=[refused])),
        ),
    ]
    assert [r.returncode for r in results] == [0, 0, 1], [r.stderr[-2000:] for r in results]
    return out, sorted(p.name for p in out.iterdir() if p.is_dir())


def test_audit_table_csv_and_json_match_what_happened(trail_runs):
    out, run_ids = trail_runs
    counts = {r["service_name"]: int(r["count"]) for r in demo_rows("final_report.csv")}
    contacts = demo_rows("contacts.csv")
    as_json = json.loads(run_cli(["audit", "--output-dir", str(out), "--format", "json"], clean_env()).stdout)
    per_alert = list(
        csv.DictReader(
            io.StringIO(
                run_cli(
                    ["audit", "--output-dir", str(out), "--format", "csv", "--per", "alert"], clean_env()
                ).stdout
            )
        )
    )
    as_csv = list(
        csv.DictReader(
            io.StringIO(run_cli(["audit", "--output-dir", str(out), "--format", "csv"], clean_env()).stdout)
        )
    )
    said = run_cli(["audit", "--output-dir", str(out)], clean_env()).stdout
    table = audit_rows(said)  # the runs; then the state read for sends outside them

    assert as_json["sent_outside_runs"] == []  # every send came from a recorded run
    first, second, third = as_json["runs"]
    assert [r["run_id"] for r in as_json["runs"]] == run_ids
    alerts = {a["rule"]: a for a in first["alerts"]}
    assert {rule: a["count"] for rule, a in alerts.items()} == {
        "potholes": counts["Pothole"],
        "illegal_dumping": counts["Illegal Dumping"],
    }
    assert first["status"] == "succeeded" and first["totals"]["published"] == 2
    assert all(
        a["action"] == "publish" and a["topic_arn"].startswith("arn:aws:sns:") for a in alerts.values()
    )
    assert alerts["potholes"]["department"] == "streets" and alerts["potholes"]["recipients"] == 2 * len(
        [c for c in contacts if c["Department"].strip().lower() == "streets"]
    )  # an email and an SMS subscription each
    assert len(first["params_sha256"]) == 64 and len(first["inputs"]["report"]["sha256"]) == 64
    assert (
        len(first["inputs"]["contacts"]["sha256"]) == 64 and first["inputs"]["report"]["period"] == "2019-02"
    )
    subs = first["subscriptions"]
    assert (subs["add"], subs["remove"], subs["rejected_rows"]) == (2 * len(contacts), 0, 0)
    assert second["status"] == "succeeded" and second["totals"]["published"] == 0
    assert second["totals"]["suppressed"] == 2 and second["subscriptions"]["add"] == 0
    assert third["status"] == "failed at notebook 3 (03_alert_check)"
    assert third["error"].startswith("PublishError: 1 alert(s) not sent, e.g. rule potholes to streets")
    third_alerts = {a["rule"]: a for a in third["alerts"]}
    assert third_alerts["potholes"]["error"] == "not sent: AuthorizationError"
    assert third_alerts["potholes"]["message_id"] is None and third_alerts["illegal_dumping"]["message_id"]
    assert third["params_file"].endswith("broken.yaml") and third["params_sha256"] != first["params_sha256"]

    # Each MessageId is the one SNS gave that rule's message, as the executed notebook recorded it.
    notebook_alerts = json.loads(
        run_cli(
            ["audit", "--output-dir", str(out), "--run", run_ids[0], "--format", "json"], clean_env()
        ).stdout
    )["notebooks"]["03_alert_check"]["facts"]["alerts"]
    assert {a["rule"]: a["message_id"] for a in notebook_alerts if a["message_id"]} == {
        rule: a["message_id"] for rule, a in alerts.items()
    }
    assert [(r["run_id"], r["rule"], r["message_id"]) for r in per_alert if r["run_id"] == run_ids[0]] == [
        (run_ids[0], a["rule"], a["message_id"] or "") for a in first["alerts"]
    ]
    for row_json, row_csv in zip(as_json["runs"], as_csv, strict=True):
        assert row_csv["params_sha256"] == row_json["params_sha256"]
        assert int(row_csv["published"]) == row_json["totals"]["published"]
        assert row_csv["report_sha256"] == row_json["inputs"]["report"]["sha256"]
    assert len(table) == 3 and table[0].startswith(run_ids[0]) and "failed at notebook 3" in table[2]
    assert max(len(line) for line in said.splitlines()) <= 120  # the table fits 120 columns


def test_the_failed_runs_notice_to_ops_is_on_the_trail_with_its_message_id(trail_runs, tmp_path):
    out, run_ids = trail_runs
    manifest = json.loads((out / run_ids[2] / "manifest.json").read_text())
    (told,) = manifest["ops_notices"]  # sent by the runner after notebook 3 failed: no notebook has it
    assert told["kind"] == "failure" and told["topic"].endswith(":backlog_alerts_ops")
    assert told["message_id"] and told["sent_at"] >= manifest["started_at"][:19]
    as_json = json.loads(run_cli(["audit", "--output-dir", str(out), "--format", "json"], clean_env()).stdout)
    assert told in as_json["runs"][2]["ops_notices"]
    notices = run_cli(["audit", "--output-dir", str(out), "--format", "csv", "--per", "notice"], clean_env())
    assert told["message_id"] in notices.stdout
    run_cli(["report", "--output-dir", str(out), "--to", str(tmp_path / "site")], clean_env())
    index = (tmp_path / "site" / "index.html").read_text()
    assert f"failure notice → ops, <code>{told['message_id']}</code>" in index


def test_one_run_in_full_and_since_filter(trail_runs):
    out, run_ids = trail_runs
    full = json.loads(
        run_cli(
            ["audit", "--output-dir", str(out), "--run", run_ids[0], "--format", "json"], clean_env()
        ).stdout
    )
    assert full["manifest"]["status"] == "succeeded" and len(full["manifest"]["notebooks"]) == 3
    alert = full["notebooks"]["03_alert_check"]
    assert alert["parameters"]["run_id"] == run_ids[0]
    assert all(c["status"] == "completed" and c["duration"] is not None for c in alert["cells"])
    assert alert["facts"]["report"]["period"] == "2019-02"
    text = run_cli(["audit", "--output-dir", str(out), "--run", run_ids[2]], clean_env()).stdout
    assert text.startswith(f"run {run_ids[2]}: failed at notebook 3 (03_alert_check)")
    assert (
        run_cli(["audit", "--output-dir", str(out), "--since", "2999-01-01"], clean_env())
        .stdout.split("\n\n")[0]
        .count("\n")
        == 0
    )
    missing = run_cli(["audit", "--output-dir", str(out), "--run", "nope"], clean_env())
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.rows, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])
        if tag == "tr":
            self.rows.append(dict(attrs).get("class"))

    def handle_data(self, data):
        self.text.append(data)

    @classmethod
    def of(cls, text):
        parser = cls()
        parser.feed(text)
        return parser


def test_static_html_report_lists_runs_newest_first_with_working_links(trail_runs, tmp_path):
    out, run_ids = trail_runs
    result = run_cli(["report", "--output-dir", str(out), "--to", str(tmp_path / "html")], clean_env())
    assert result.returncode == 0, result.stderr
    site = tmp_path / "html"
    month = f"runs-{run_ids[0][:4]}-{run_ids[0][4:6]}.html"  # the three runs started this month
    for page in ("index.html", month):  # the index shows the newest month's runs; the month page, its own
        parser = Links()
        parser.feed((site / page).read_text())
        assert [r for r in parser.rows if r in ("failed", "succeeded")][:3] == [
            "failed",
            "succeeded",
            "succeeded",
        ]
        text = "".join(parser.text)
        assert text.index(run_ids[2]) < text.index(run_ids[1]) < text.index(run_ids[0])  # newest first
        runs = [link for link in parser.links if link.endswith("/index.html")]
        assert runs == [f"{run_id}/index.html" for run_id in reversed(run_ids)]
        assert all((site / link).exists() for link in parser.links)
    assert month in Links.of((site / "index.html").read_text()).links
    first = json.loads(run_cli(["audit", "--output-dir", str(out), "--format", "json"], clean_env()).stdout)
    record = first["runs"][0]
    run_page = (site / run_ids[0] / "index.html").read_text()
    shown = "".join(Links.of(run_page).text)  # what a reader sees: identifiers whole across <wbr>
    assert record["params_sha256"] in shown and record["inputs"]["report"]["sha256"] in shown
    assert record["inputs"]["contacts"]["etag"] in shown
    for alert in record["alerts"]:
        assert alert["message_id"] in shown and alert["topic_arn"] in shown
    assert "<pre>WARNING backlog alert for streets\n\n- Pothole: 163" in run_page  # real line breaks
    for run_id in run_ids:
        page = Links()
        page.feed((site / run_id / "index.html").read_text())
        notebooks = [link for link in page.links if not link.startswith("..")]
        assert len(notebooks) == 3
        for link in notebooks:
            assert (site / run_id / link).exists()
    notebook = (site / run_ids[0] / "03_alert_check.html").read_text()
    assert "[WARNING] Pothole backlog" in notebook and "<img" in notebook
    assert CODE_CELL not in notebook  # code cells hidden by default
    assert_offline(site)
    with_code = tmp_path / "with-code"
    run_cli(["report", "--output-dir", str(out), "--to", str(with_code), "--with-code"], clean_env())
    assert CODE_CELL in (with_code / run_ids[0] / "03_alert_check.html").read_text()
    assert_offline(with_code)


CODE_CELL = 'jp-InputArea-editor"'  # nbconvert's lab template: the editor of a code cell's input
REMOTE = re.compile(
    r"<script[^>]*\ssrc=\"(https?:)?//|<script[^>]*\ssrc=\"\"|<link[^>]*\shref=\"(https?:)?//", re.I
)


def assert_offline(site: Path):
    """No page loads a script or stylesheet from elsewhere (nor an empty src, which reloads the page)."""
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 4
    for path in pages:
        found = REMOTE.search(path.read_text())
        assert not found, (path, found and found.group(0))


def test_nothing_in_the_trail_holds_personal_data_or_keys(trail_runs, tmp_path):
    out, _ = trail_runs
    run_cli(["report", "--output-dir", str(out), "--to", str(out / "html")], clean_env())
    secrets = {FAKE_KEY_ID, FAKE_SECRET}
    secrets |= {row[column] for row in demo_rows("contacts.csv") for column in ("Email", "Phone")}
    secrets |= {row["Phone"][1:] for row in demo_rows("contacts.csv")}  # also without the +
    scanned = 0
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            scanned += 1
            assert not [s for s in secrets if s in text], path
            assert not AWS_KEY_ID.search(text), path
    assert scanned >= 3 * 3 + 3 + 9  # notebooks, manifests, HTML pages


def test_audit_reads_a_trail_on_s3_like_a_local_one(aws_endpoint, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    with emulator.patched_environ(env):
        import boto3

        boto3.client("s3").create_bucket(Bucket="audit-trail")
    result = run_cli(["run", "--output-dir", "s3://audit-trail/backlog/runs"], env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(
        run_cli(["audit", "--output-dir", "s3://audit-trail/backlog/runs", "--format", "json"], env).stdout
    )["runs"]
    assert len(rows) == 1 and rows[0]["status"] == "succeeded" and rows[0]["alerts"][0]["rule"] == "potholes"
    with emulator.patched_environ(env):
        (run_id,) = storage.run_ids("s3://audit-trail/backlog/runs")
        assert [run_record(run) for run in load_runs("s3://audit-trail/backlog/runs")] == rows
        assert collect("s3://audit-trail/backlog/runs")[0]["run_id"] == run_id
        assert storage.exists(f"s3://audit-trail/backlog/runs/{run_id}/03_alert_check.ipynb")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_run_stopped_during_notebook_2_is_shown_as_interrupted(moto_endpoint, tmp_path, how):
    env = emulator.emulator_environ(moto_endpoint, clean_env())
    process, manifest = run_until_notebook_2(tmp_path / "out", env)
    try:
        process.send_signal(how)
        code = process.wait(timeout=60)
    finally:
        process.kill()
    (row,) = json.loads(
        run_cli(["audit", "--output-dir", str(tmp_path / "out"), "--format", "json"], clean_env()).stdout
    )["runs"]
    assert row["status"] == "interrupted"
    assert not (manifest.parent / "03_alert_check.ipynb").exists()
    if how == signal.SIGTERM:
        assert code == 130
        saved = json.loads(manifest.read_text())
        assert saved["status"] == "interrupted" and saved["notebooks"][1]["status"] == "interrupted"
        assert saved["notebooks"][1]["seconds"] > 0
