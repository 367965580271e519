"""What a params file decides about a run, checked before anything starts: which notebooks run,
each one's parameters, and where the run folders go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backlog_alerts.io import locations
from backlog_alerts.io.paths import project_root, resolve_local
from backlog_alerts.run.model import Params
from backlog_alerts.run.params import ParamsError, load_params, notebook_parameters
from backlog_alerts.state.location import move_legacy_state, state_uri_for

NOTEBOOKS = ("01_topic_setup.ipynb", "02_subscription_sync.ipynb", "03_alert_check.ipynb")
ALERT_CHECK = NOTEBOOKS[2]  # runs even after an earlier notebook failed
BACKTEST = "04_backtest.ipynb"  # on demand (`backlog-alerts backtest`), never in the scheduled run


def find_notebooks_dir(explicit: str | Path | None = None) -> Path:
    """The notebooks to run: given explicitly, else those of the project we are in."""
    if explicit:
        return resolve_local(explicit)
    root = project_root() or project_root(Path(__file__).parent)
    if root is None:
        raise ParamsError("cannot find the notebooks/ folder: run from the project or pass --notebooks")
    return root / "notebooks"


@dataclass(frozen=True)
class RunPlan:
    """A checked params file, each notebook's parameters from it, and where its run folders go."""

    params_path: Path
    params: Params
    paths: list[Path]
    per_notebook: dict[Path, dict[str, Any]]
    location: str
    default_state: bool = False  # state_uri was left empty: the project's own state location

    @property
    def params_hint(self) -> str:
        """How a recovery command names this params file."""
        return f"--params {self.params.params_file}"

    def with_params(self, **changes: Any) -> RunPlan:
        """The same plan with some params changed, each notebook's parameters with them."""
        params = self.params.model_copy(update=changes)
        per_notebook = {path: notebook_parameters(params, path) for path in self.paths}
        return replace(self, params=params, per_notebook=per_notebook)

    @property
    def backtest(self) -> Path:
        return self.paths[0].parent / BACKTEST


def plan_run(
    params_path: str | Path, output_dir: str | Path | None = None, notebooks_dir: str | Path | None = None
) -> RunPlan:
    """Everything about a run that the params file decides, checked before anything starts."""
    params_path = resolve_local(params_path)
    params = load_params(params_path)
    paths = [find_notebooks_dir(notebooks_dir) / name for name in NOTEBOOKS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ParamsError(f"notebook(s) not found: {', '.join(missing)}")
    anchor = params_path.parent
    params = params.model_copy(update={key: anchored(getattr(params, key), anchor) for key in LOCATIONS})
    location = locations.normalize(output_dir or params.output_dir)
    state_uri = state_uri_for(params.state_uri, anchor, params.namespace, params.output_dir)
    default_state = not params.state_uri  # "": the project's own location, where older runs' state moves
    params = params.model_copy(update={"state_uri": state_uri, "params_file": shown_path(params_path)})
    per_notebook = {path: notebook_parameters(params, path) for path in paths}
    return RunPlan(params_path, params, paths, per_notebook, location, default_state)


LOCATIONS = ("contacts_uri", "report_uri", "reports_uri", "output_dir", "state_uri")


def anchored(value: str, anchor: Path) -> str:
    """A relative local path in a params file, from the project that holds the file (else the file's
    folder), wherever the command runs from; a URI or an absolute path as it is."""
    if not value or "://" in value or value[:5].lower() == "file:" or Path(value).expanduser().is_absolute():
        return value
    return str(resolve_local(value, start=anchor))


def shown_path(path: Path) -> str:
    """A path as a person would type it here: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def settle_state_location(plan: RunPlan, say: Callable[[str], None]) -> RunPlan:
    """With `state_uri` left empty, a state kept beside the run folders by an older version moves to
    the default location (`state.location`); a dry run reads it where it is, and says it would move it."""
    if not plan.default_state:
        return plan
    moved = move_legacy_state(plan.location, plan.params.state_uri, dry_run=plan.params.dry_run)
    if moved is None:
        return plan
    if plan.params.dry_run:
        say(f"alert state: would move {moved.source} to {moved.target} (dry run: read where it is)")
        return plan if moved.merged else plan.with_params(state_uri=moved.source)
    say(moved.line())
    return plan
