"""The params file: one YAML mapping, split among the notebooks that declare each key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import papermill
import yaml

# Keys the runner itself uses; every other key must be a parameter of some notebook.
RUNNER_DEFAULTS: dict[str, Any] = {
    "output_dir": "outputs",
    "execution_timeout": 300,  # seconds one cell may take
    "notebook_timeout": 900,  # seconds one whole notebook may take, kernel start-up included
    "lock_wait": 60,  # seconds a run waits for another run on the same output location to finish
    "aws_retry_mode": "standard",  # botocore retry mode for every AWS client: standard or adaptive
    "aws_max_attempts": 5,  # attempts per AWS call, the first included
    "keep_runs": None,  # retention: keep the newest N run folders (failed ones are kept)
    "keep_days": None,  # retention: remove run folders older than this many days
}


class ParamsError(ValueError):
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


def load_params(path: str | Path) -> dict[str, Any]:
    """Read a params file, which must be a YAML mapping of names to values."""
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


def declared_parameters(notebook: Path) -> set[str]:
    """The names in the notebook's `parameters` cell, as papermill itself reads them."""
    return set(papermill.inspect_notebook(str(notebook)))


def split_params(
    params: dict[str, Any], declared: dict[Path, set[str]], source: str | Path
) -> dict[Path, dict[str, Any]]:
    """Give each notebook only its own parameters; a key nobody declares is an error."""
    known = set(RUNNER_DEFAULTS).union(*declared.values())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ParamsError(
            f"{source}: unknown parameter(s) {', '.join(unknown)}: no notebook declares them "
            f"(known: {', '.join(sorted(known))})"
        )
    return {nb: {k: v for k, v in params.items() if k in names} for nb, names in declared.items()}


def runner_setting(params: dict[str, Any], key: str) -> Any:
    """A runner key from the params file, or its default."""
    return params.get(key, RUNNER_DEFAULTS[key])


def check_params(params: dict[str, Any], source: str | Path) -> None:
    """Every value checked against the schema before the run touches AWS; all problems in one error."""
    from backlog_alerts.run.model import validation_errors  # pydantic: only a run needs it

    errors = validation_errors(params)
    if errors:
        raise ParamsError(f"{source}: " + "; ".join(errors))
