"""The params file: one YAML mapping, read once into the `Params` model that every part of a run uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from backlog_alerts.errors import BacklogAlertsError
from backlog_alerts.run.model import Params, validation_errors


class ParamsError(BacklogAlertsError, ValueError):
    """A params file that cannot drive a run; the message names the file and the key."""


BOOL, INT, FLOAT, TIMESTAMP = (f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp"))


class _ParamsLoader(yaml.SafeLoader):
    """yaml's safe loader with YAML 1.2 scalars, and a key given twice is an error.

    PyYAML follows YAML 1.1, where `030` is octal 24, `yes` is true, `1:30` is 90 and `2019-02-30` a
    date that crashes the loader: a value must mean what it looks like, so scalars follow YAML 1.2's
    core schema instead (dates stay text, and the code that reads them names a bad one).
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (BOOL, INT, FLOAT, TIMESTAMP)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """Decimal unless written `0o` (octal) or `0x` (hex): `030` is thirty."""
        text = str(self.construct_scalar(node))
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        return int(text[2:] if base != 10 else text, base)


_ParamsLoader.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_ParamsLoader.add_implicit_resolver(
    INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_ParamsLoader.add_implicit_resolver(
    FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_ParamsLoader.add_constructor(INT, _ParamsLoader.construct_yaml_int)


def parse_yaml(text: str, source: str | Path) -> Any:
    """YAML as a person reads it (1.2 numbers and booleans, no duplicate keys, no tags)."""
    try:
        return yaml.load(text, Loader=_ParamsLoader)
    except yaml.YAMLError as err:
        raise ParamsError(f"{source}: not valid YAML: {' '.join(str(err).split())}") from err


def read_mapping(path: str | Path) -> dict[str, Any]:
    """A params file's YAML, which must be a mapping of names to values."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ParamsError(f"{path}: cannot read params file: {err.strerror or err}") from err
    data = parse_yaml(text, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: must be a mapping of parameter names to values")
    return data


RUNNER_SET = ("params_file", "pinned_inputs")  # the runner's own, never read from a params file


def check_params(data: dict[str, Any], source: str | Path, *, from_file: bool = False) -> Params:
    """The model of a params mapping, checked before the run touches AWS; all problems in one error."""
    known = set(Params.model_fields) - (set(RUNNER_SET) if from_file else set())
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParamsError(
            f"{source}: unknown parameter(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    errors = validation_errors(data)
    if errors:
        raise ParamsError(f"{source}: " + "; ".join(errors))
    return Params.model_validate(data)


def load_params(path: str | Path) -> Params:
    """Read a params file into the model: the one object a run's settings come from."""
    return check_params(read_mapping(path), path, from_file=True)


def declared_parameters(notebook: Path) -> set[str]:
    """The names in the notebook's `parameters` cell, as papermill itself reads them (imported here:
    only a run needs papermill, and it costs every other command a third of a second)."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def notebook_parameters(params: Params, notebook: Path) -> dict[str, Any]:
    """The notebook's own parameters, every one of them, as the model holds them."""
    declared = declared_parameters(notebook)
    strays = sorted(declared - set(Params.model_fields))
    if strays:
        raise ParamsError(
            f"{notebook.name} declares parameter(s) the params model lacks: {', '.join(strays)}"
        )
    return params.model_dump(include=declared)
