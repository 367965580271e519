"""`backlog-alerts audit` and `report`: the trail read back, as a table or data, or as a static site."""

from __future__ import annotations

import argparse
import os
import sys

from backlog_alerts.errors import EXIT_BAD_INPUT, EXIT_OK
from backlog_alerts.io import locations, storage
from backlog_alerts.io.paths import resolve_local
from backlog_alerts.run.plan import plan_run
from backlog_alerts.run.recipients import NoEmulatorError
from backlog_alerts.state.document import StateError
from backlog_alerts.trail.audit import Said, Trail, load_run
from backlog_alerts.trail.audit_formats import render_run, write
from backlog_alerts.trail.runs import RunFolders, run_folders
from backlog_alerts.trail.untraced import Outside, load_outside, state_of_trail

DEFAULT_TRAIL = "outputs"


def trail_folder(output_dir: str) -> str | None:
    """The trail's location; None (said on stderr) when it is a local folder that does not exist."""
    location = locations.normalize(output_dir)
    if not storage.is_folder(location):
        print(f"error: no run folders at {location}: no such folder (see --output-dir)", file=sys.stderr)
        return None
    return location


def _trail(args: argparse.Namespace) -> str | None:
    """`--output-dir`, else the output_dir of `--params`, else `outputs`."""
    if args.output_dir:
        return trail_folder(args.output_dir)
    return trail_folder(plan_run(args.params).location if args.params else DEFAULT_TRAIL)


def outside_runs(args: argparse.Namespace, location: str, folders: RunFolders, since: str = "") -> Outside:
    """The sends outside recorded runs, from the alert state `--state` or `--params` names, else the one
    the trail's newest manifest names (a state found that way that cannot be read is said, not fatal);
    `folders`: the trail's one listing."""
    state = getattr(args, "state", None)
    if state:
        if not storage.exists(state):
            raise StateError(f"no alert state at {state}: no such file (see --state)")
        return load_outside(state, location, since, folders=folders)
    if args.params:
        params = plan_run(args.params).params
        on_s3 = locations.local_copy(params.state_uri) is None
        if on_s3 and params.target == "local" and not os.environ.get("AWS_ENDPOINT_URL"):
            raise NoEmulatorError(
                f"the alert state {params.state_uri} is in the emulator (target: local): set "
                "AWS_ENDPOINT_URL to the one the runs use (`make emulator` prints it)"
            )
        return load_outside(params.state_uri, location, since, params.region, folders=folders)
    outside = load_outside(state_of_trail(location, folders), location, since, named=False, folders=folders)
    if outside.error:
        print(
            f"note: sends outside recorded runs not checked: {outside.error} (name the state with --params)",
            file=sys.stderr,
        )
    return outside


def audit(args: argparse.Namespace) -> int:
    """One run in full, or every run (and sends outside any run) as a table, CSV or JSON."""
    location = _trail(args)
    if location is None:
        return EXIT_BAD_INPUT
    folders = run_folders(location)  # one listing of the trail for the whole command
    if args.run:
        if args.run not in folders.run_ids:
            print(f"error: no run {args.run!r} in {location}", file=sys.stderr)
            return EXIT_BAD_INPUT
        said = Said()
        run = load_run(location, args.run, folders.files[args.run], said=said)
        for line in [*said.not_read, *run["not_read"]]:
            print(line, file=sys.stderr)
        print(render_run(run, args.format))
        say_unsaved(said)
        return EXIT_OK
    since = args.since.strftime("%Y%m%d") if args.since else ""
    outside = outside_runs(args, location, folders, since)
    trail = Trail(
        location, args.since, check=False, folders=folders
    )  # each run checked only if it breaks (audit.built)
    write(sys.stdout, trail, args.format, args.per, outside, trail.not_read, args.wide)
    for line in [*trail.not_read, *outside.not_read]:  # on stderr in every format: a CSV stays data
        print(line, file=sys.stderr)
    say_unsaved(trail.said)
    return EXIT_OK


def say_unsaved(said: Said) -> None:
    """Once, on stderr: the runs whose compact record could not be saved (read-only credentials)."""
    if said.unsaved:
        print(
            f"note: {len(said.unsaved)} run(s) were read from their notebooks, and their compact records "
            f"could not be saved (first: {said.unsaved[0]}); they are read the long way until one is",
            file=sys.stderr,
        )


def report(args: argparse.Namespace) -> int:
    """The offline site for auditors: an index of runs (and of sends outside them) and a page per run."""
    location = _trail(args)
    if location is None:
        return EXIT_BAD_INPUT
    from backlog_alerts.trail.html import render_trail  # nbconvert: only for the report

    folders = run_folders(location)  # one listing of the trail for the whole command
    outside = outside_runs(args, location, folders)
    said = Said()
    index = render_trail(location, resolve_local(args.to), args.with_code, outside, said, folders)
    for line in [*said.not_read, *outside.not_read]:
        print(line, file=sys.stderr)
    say_unsaved(said)
    print(f"wrote {index}")
    return EXIT_OK
