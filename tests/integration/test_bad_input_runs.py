"""Each file of the bad-input corpus (tests/corpus/) given to a run on a moto server: the run stops
with the file's one-line error before any change to AWS (no topic, no subscription, no alert).

A bad contacts file or report is a refused run: on the trail (a folder with its manifest alone) and
told to the ops topic when it exists. Bad params leave no folder: they name no trusted location."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import yaml
from helpers import ROOT, audit_rows, clean_env, corpus, drain, only_run_folder, run_cli, subscribe_queue

from backlog_alerts.io.emulator import emulator_environ, published_messages
from backlog_alerts.io.sources import SourceError
from backlog_alerts.run.params import ParamsError
from backlog_alerts.run.pipeline import run_pipeline

CONTACTS, REPORTS, PARAMS = corpus("contacts"), corpus("reports"), corpus("params")


def _error_inputs():
    """Every corpus file that must stop a run, as (params key, path, expected error)."""
    for key, entries in (("contacts_uri", CONTACTS), ("report_uri", REPORTS)):
        for path, expected in entries:
            if "error" in expected:
                yield pytest.param(key, path, expected["error"], id=path.name + "-" + key)
    for path, expected in PARAMS:
        yield pytest.param("", path, expected["error"], id=path.name)


@pytest.mark.integration
@pytest.mark.parametrize(("key", "path", "error"), list(_error_inputs()))
def test_a_run_given_a_bad_input_changes_nothing_in_aws(aws_endpoint, sns, tmp_path, key, path, error):
    """In-process: the runner raises the same one-line error before the first notebook starts."""
    if key:  # a bad contacts file or report, inside the demo params
        params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
        params[key] = str(path)
        params_path = tmp_path / "params.yaml"
        params_path.write_text(yaml.safe_dump(params))
    else:
        params_path = tmp_path / path.name
        shutil.copy(path, params_path)
    with pytest.raises((ParamsError, SourceError)) as caught:
        run_pipeline(params_path, tmp_path / "out", say=lambda _: None)
    assert str(caught.value) == error.replace("{file}", str(params_path if not key else path))
    assert sns.list_topics()["Topics"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []
    assert published_messages(aws_endpoint) == []
    folders = [p for p in (tmp_path / "out").iterdir() if p.is_dir()] if (tmp_path / "out").exists() else []
    if not key:
        assert folders == []
        return
    (folder,) = folders
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "record.json"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["status"], manifest["error"]) == ("refused", str(caught.value))
    assert {n["status"] for n in manifest["notebooks"]} == {"not run"}


@pytest.mark.integration
def test_a_refused_run_is_on_the_trail_told_to_ops_and_listed_by_audit(aws_endpoint, sns, sqs, tmp_path):
    (path, expected), *_ = [(p, e) for p, e in REPORTS if "error" in e]
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params["report_uri"] = str(path)
    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump(params))
    ops_arn = sns.create_topic(Name=params["ops_topic"])["TopicArn"]  # as an earlier run left it
    inbox = subscribe_queue(sqs, sns, ops_arn, "ops-inbox")
    env = emulator_environ(aws_endpoint, clean_env())
    out = tmp_path / "out"

    result = run_cli(["run", "--params", str(params_path), "--output-dir", str(out)], env)

    error = expected["error"].replace("{file}", str(path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {error}"]
    folder = only_run_folder(out)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["status"], manifest["error"], manifest["run_id"]) == ("refused", error, folder.name)
    assert manifest["params_file"] == str(params_path)
    assert manifest["params_sha256"] == hashlib.sha256(params_path.read_bytes()).hexdigest()
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "record.json"]
    assert f"ops: refusal notice sent to {params['ops_topic']}" in result.stdout
    (notice,) = drain(sqs, inbox)
    assert notice["Subject"].startswith("[OPS] backlog-alerts run refused")
    assert folder.name in notice["Message"] and error in notice["Message"]
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [ops_arn]  # no department topic
    assert [s["Protocol"] for s in sns.list_subscriptions()["Subscriptions"]] == ["sqs"]

    said = run_cli(["audit", "--output-dir", str(out)], clean_env()).stdout
    (row,) = audit_rows(said)  # the runs; then the state read for sends outside them
    assert row.startswith(folder.name) and "refused" in row
    assert " ".join(error.split())[:40] in row
    (record,) = json.loads(
        run_cli(["audit", "--output-dir", str(out), "--format", "json"], clean_env()).stdout
    )["runs"]
    assert (record["status"], record["error"], record["alerts"]) == ("refused", error, [])
