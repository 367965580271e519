import ast

import pytest
import yaml
from helpers import ROOT

from backlog_alerts.run.model import Params, validation_errors
from backlog_alerts.run.params import (
    RUNNER_SET,
    ParamsError,
    check_params,
    declared_parameters,
    load_params,
    notebook_parameters,
    read_mapping,
)
from backlog_alerts.run.plan import BACKTEST, NOTEBOOKS

NOTEBOOK_PATHS = [ROOT / "notebooks" / name for name in (*NOTEBOOKS, BACKTEST)]
RUNNER_KEYS = {
    "output_dir",
    "execution_timeout",
    "notebook_timeout",
    "lock_wait",
    "aws_retry_mode",
    "aws_max_attempts",
    "keep_runs",
    "keep_days",
}


def test_each_notebook_gets_only_what_it_declares():
    params = load_params(ROOT / "params" / "local.yaml")
    split = {p: notebook_parameters(params, p) for p in NOTEBOOK_PATHS}
    topic_setup, sync, alert, backtest = (split[p] for p in NOTEBOOK_PATHS)
    assert "rules" in alert and "rules" not in topic_setup and "rules" not in sync
    assert "contacts_uri" in sync and "contacts_uri" not in alert
    assert "reports_uri" in backtest and "reports_uri" not in alert and "report_uri" not in backtest
    assert all("output_dir" not in p for p in split.values())


def test_unknown_key_names_key_and_file():
    with pytest.raises(ParamsError, match=r"params/x.yaml: unknown parameter\(s\) treshold"):
        check_params({"treshold": 3, "region": "us-east-1"}, "params/x.yaml")


def test_local_params_match_the_notebook_defaults():
    """The notebooks run the local demo on their own, so their defaults must equal params/local.yaml."""
    import papermill

    params = read_mapping(ROOT / "params" / "local.yaml")
    for path in NOTEBOOK_PATHS:
        for name, spec in papermill.inspect_notebook(str(path)).items():
            if name not in ("run_id", *RUNNER_SET):
                assert ast.literal_eval(spec["default"]) == params[name], f"{path.name}: {name}"


def test_params_file_must_be_a_mapping(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(["a", "b"]))
    with pytest.raises(ParamsError, match="p.yaml: must be a mapping"):
        load_params(path)


def test_unreadable_params_file_is_named(tmp_path):
    with pytest.raises(ParamsError, match="nope.yaml: cannot read params file"):
        load_params(tmp_path / "nope.yaml")


def test_every_model_key_is_a_notebook_parameter_or_the_runners_own():
    declared_keys = set().union(*(declared_parameters(p) for p in NOTEBOOK_PATHS))
    assert set(Params.model_fields) == declared_keys | RUNNER_KEYS
    assert not declared_keys & RUNNER_KEYS


@pytest.mark.parametrize("name", ["local.yaml", "production.example.yaml"])
def test_shipped_params_files_pass_the_model(name):
    assert isinstance(load_params(ROOT / "params" / name), Params)


def test_several_problems_are_reported_together_each_naming_its_key():
    with pytest.raises(ParamsError) as caught:
        check_params({"dry_run": "no", "lock_wait": -1, "departments": {"trash": "Trash"}}, "p.yaml")
    assert str(caught.value) == (
        "p.yaml: dry_run: Input should be a valid boolean (got 'no'); "
        "lock_wait: Input should be greater than or equal to 0 (got -1)"
    )


def test_numbers_mean_what_they_look_like_yaml_1_2(tmp_path):
    """PyYAML alone reads `030` as octal 24 (YAML 1.1), so a rule would fire at 25 instead of 31."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "rules:\n"
        "  - {name: dumping, service_name: Illegal Dumping, department: trash, threshold: 030}\n"
        "lock_wait: 0o30\nmax_removal_share: 0.5\nmax_contacts: 0x10\ndry_run: false\n"
    )
    params = load_params(path)
    assert params.rules[0]["threshold"] == 30
    assert (params.lock_wait, params.max_contacts, params.dry_run) == (24, 16, False)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("dry_run: yes", "dry_run: Input should be a valid boolean (got 'yes')"),
        ("allow_mass_removal: on", "allow_mass_removal: Input should be a valid boolean (got 'on')"),
        ("lock_wait: 1:30", "lock_wait: Input should be a valid number (got '1:30')"),
    ],
)
def test_yaml_1_1_spellings_are_text_and_refused_by_the_schema(tmp_path, line, error):
    path = tmp_path / "p.yaml"
    path.write_text(line + "\n")
    with pytest.raises(ParamsError) as caught:
        check_params(read_mapping(path), "p.yaml")
    assert str(caught.value) == f"p.yaml: {error}"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"for_periods": 0}, "rules: rule potholes, for_periods: 0 is not a whole number >= 1"),
        ({"rise_over": -5}, "rules: rule potholes, rise_over: -5 is not a percent > 0"),
        ({"escalate_after": 3, "escalate_to": "mayor"}, "rules: rule potholes, escalate_to: 'mayor' is not"),
    ],
)
def test_the_new_rule_keys_are_checked_by_the_params_model(change, error):
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params["rules"] = [{**params["rules"][0], **change}, *params["rules"][1:]]
    assert any(line.startswith(error) for line in validation_errors(params)), validation_errors(params)


def test_the_rules_are_parsed_once_by_the_params_model():
    params = Params.model_validate(yaml.safe_load((ROOT / "params" / "local.yaml").read_text()))
    assert [r.name for r in params.alert_rules] == [r["name"] for r in params.rules]
    assert params.alert_rules[0].threshold == params.rules[0]["threshold"]
