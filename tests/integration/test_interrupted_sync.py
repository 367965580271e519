"""A cell timeout that stops notebook 02 while it applies its plan: the subscriptions it already made are
not reported as none; the summary, `audit` and the run page say the changes are unknown, up to the plan."""

import csv
import json

import pytest
from helpers import clean_env, directors, params_file, run_cli

from backlog_alerts.io.emulator import emulator_environ

pytestmark = pytest.mark.integration
CONTACTS = 2000  # 4,000 Subscribe calls, one at a time on the emulator: far longer than the timeout
TIMEOUT = 5  # seconds: enough to check the file and plan, never enough to apply


def test_a_sync_stopped_while_applying_reports_its_changes_as_unknown(aws_endpoint, sns, tmp_path):
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Name", "Email", "Phone", "Department"])
        writer.writerows([c.name, c.email, c.phone, c.department] for c in directors(CONTACTS))
    out = tmp_path / "out"
    params = params_file(tmp_path, contacts_uri=str(contacts), execution_timeout=TIMEOUT, output_dir=str(out))
    env = emulator_environ(aws_endpoint, clean_env())

    result = run_cli(["run", "--params", str(params)], env)

    assert result.returncode == 1
    pages = sns.get_paginator("list_subscriptions").paginate()
    made = sum(s["Protocol"] in ("email", "sms") for page in pages for s in page["Subscriptions"])
    assert 0 < made < 2 * CONTACTS, "the apply cell was stopped part way"
    assert (
        f"subscriptions: unknown (the sync stopped while applying its plan): up to {2 * CONTACTS} adds"
        in result.stdout
    )
    (record,) = json.loads(
        run_cli(["audit", "--output-dir", str(out), "--format", "json"], clean_env()).stdout
    )["runs"]
    assert record["subscriptions_status"] == "unknown" and record["subscriptions"] is None
    assert record["subscriptions_planned"]["add"] == 2 * CONTACTS
    run_cli(["report", "--output-dir", str(out), "--to", str(tmp_path / "html")], clean_env())
    (page,) = (tmp_path / "html").glob("*/index.html")
    assert f"up to {2 * CONTACTS} adds" in page.read_text()
