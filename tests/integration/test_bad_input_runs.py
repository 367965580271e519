"""Each file of the bad-input corpus (tests/corpus/) given to a run on a moto server: the run stops
with the file's one-line error before any change to AWS (no topic, no subscription, no message)."""

from __future__ import annotations

import shutil

import pytest
import yaml
from helpers import ROOT, corpus

from backlog_alerts.io.emulator import published_messages
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
    assert not (tmp_path / "out").exists() or not [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
