"""The params model is the one source of truth: the notebooks' `parameters` cells and the runner agree."""

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import papermill
import pytest

import backlog_alerts
from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.run.model import Params
from backlog_alerts.run.params import ParamsError, check_params, notebook_parameters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DEFAULTS = Params().model_dump()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_parameter_is_a_model_key_with_the_model_default(notebook):
    declared = papermill.inspect_notebook(str(notebook))
    assert declared, f"{notebook.name} has no parameters cell"
    for name, spec in declared.items():
        assert name in DEFAULTS, f"{notebook.name}: {name} is not a key of the params model"
        assert ast.literal_eval(spec["default"]) == DEFAULTS[name], f"{notebook.name}: default of {name}"


def test_a_notebook_gets_every_parameter_it_declares_from_the_model():
    notebook = ROOT / "notebooks" / "02_subscription_sync.ipynb"
    params = check_params({"region": "eu-west-1", "dry_run": True}, "p.yaml")
    parameters = notebook_parameters(params, notebook)
    assert set(parameters) == set(papermill.inspect_notebook(str(notebook)))
    assert (parameters["region"], parameters["dry_run"], parameters["max_contacts"]) == (
        "eu-west-1",
        True,
        5000,
    )


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("target", ("local", "aws")),
        ("aws_retry_mode", ("standard", "adaptive")),
        ("on_invalid_row", ("skip", "fail")),
        ("report_kind", ("counts", "requests")),
        ("missing_service", ("error", "zero", "skip")),
    ],
)
def test_allowed_values_are_accepted_and_others_named(key, allowed):
    for value in allowed:
        assert getattr(check_params({key: value}, "p.yaml"), key) == value
    with pytest.raises(ParamsError, match=rf"p.yaml: {key}: "):
        check_params({key: "other"}, "p.yaml")


def _exception_classes():
    for module in pkgutil.walk_packages(backlog_alerts.__path__, "backlog_alerts."):
        if module.name.endswith("__main__"):  # importing it runs the command line
            continue
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, Exception) and cls.__module__ == module.name:
                yield cls


@pytest.mark.parametrize("cls", sorted(set(_exception_classes()), key=lambda c: c.__name__), ids=str)
def test_every_expected_failure_derives_from_the_base_with_an_exit_code(cls):
    assert issubclass(cls, BacklogAlertsError)
    assert cls.exit_code in (1, 2, 3)
