"""The security probe's cases, run through the command: a contacts cell quoted by an error shows masked
in everything the run and the trail commands write (stderr, the manifest, the executed notebooks,
`audit` as a table, JSON and CSV, the HTML site, the ops notice)."""

from __future__ import annotations

import pytest
import yaml
from helpers import (
    ROOT,
    artifact_texts,
    canary_leaks,
    canary_pattern,
    clean_env,
    only_run_folder,
    run_cli,
)

from backlog_alerts.io.emulator import emulator_environ, published_messages

ROW = "Dana Whitfield,dana.whitfield@example.gov,+16195550101,trash\n"
HEADER = "Name,Email,Phone,Department\n"
PROBES = {
    # A file saved without its header row: the first row is read as the columns "found".
    "headerless": ROW + "Tom Becker,tom.becker@example.gov,+16195550104,streets\n",
    # Two addresses in one cell: not a valid address, quoted by the problem line.
    "two addresses in one cell": HEADER
    + 'Dana Whitfield,"dana.whitfield@example.gov; marcus.ortega@example.gov",+16195550101,trash\n',
    # An address in the Department column: an unknown department, quoted by the problem line.
    "an address in Department": HEADER + "Priya Raman,,+16195550103,priya.raman@example.gov\n",
}
SHOWN = {  # what the run must still say, masked
    "headerless": "d*****@example.gov",
    "two addresses in one cell": "m*****@example.gov",
    "an address in Department": "p*****@example.gov",
}


@pytest.mark.integration
@pytest.mark.parametrize("on_invalid_row", ["fail", "skip"])
@pytest.mark.parametrize("probe", list(PROBES))
def test_a_contacts_cell_quoted_by_an_error_shows_masked_everywhere(
    aws_endpoint, sns, tmp_path, probe, on_invalid_row
):
    """Refused (the file, or with `on_invalid_row: fail` its row): stderr, the manifest and the ops
    notice quote it; skipped: the sync's problem lines in the notebook, `audit` and the site."""
    (tmp_path / "contacts.csv").write_text(PROBES[probe])
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params.update(contacts_uri=str(tmp_path / "contacts.csv"), on_invalid_row=on_invalid_row)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    sns.create_topic(Name=params["ops_topic"])  # as an earlier run left it
    env, out = emulator_environ(aws_endpoint, clean_env()), tmp_path / "out"

    run = run_cli(["run", "--params", str(tmp_path / "params.yaml"), "--output-dir", str(out)], env)
    refused = run.returncode == 2
    assert refused == (on_invalid_row == "fail" or probe == "headerless"), run.stderr
    audits = [
        run_cli(["audit", "--output-dir", str(out), *options], clean_env())
        for options in (["--format", "table"], ["--format", "json"], ["--format", "csv", "--per", "alert"])
    ]
    site = run_cli(["report", "--output-dir", str(out), "--to", str(tmp_path / "site")], clean_env())
    assert site.returncode == 0, site.stderr
    notices = [m for m in published_messages(aws_endpoint) if m["topic"] == params["ops_topic"]]

    written = {
        "stderr": run.stderr,
        "stdout": run.stdout,
        "manifest": (only_run_folder(out) / "manifest.json").read_text(),
        "ops notices": "\n".join(m["subject"] + "\n" + m["message"] for m in notices),
        **{f"audit {' '.join(a.args[-2:])}": a.stdout + a.stderr for a in audits},
        **dict(artifact_texts(out)),
        **dict(artifact_texts(tmp_path / "site")),
    }
    sync = only_run_folder(out) / "02_subscription_sync.ipynb"
    leaks = {where: canary_leaks(text, canary_pattern()) for where, text in written.items()}
    assert {where: found for where, found in leaks.items() if found} == {}
    named = ("stderr", "manifest", "ops notices", "audit --format json") if refused else [str(sync)]
    for where in named:
        assert SHOWN[probe] in written[where], where  # the cell is named, masked
