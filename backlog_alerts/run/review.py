"""`backlog-alerts audit` and `report`: the trail read back, as a table or data, or as a static site."""

from __future__ import annotations

import argparse
import sys

from backlog_alerts.errors import EXIT_BAD_INPUT, EXIT_OK
from backlog_alerts.io import locations, storage
from backlog_alerts.io.paths import resolve_local
from backlog_alerts.trail.audit import load_run, load_trail, render, render_run
from backlog_alerts.trail.runs import run_folders
from backlog_alerts.trail.untraced import load_outside, state_of_trail


def trail_folder(output_dir: str) -> str | None:
    """The trail's location; None (said on stderr) when it is a local folder that does not exist."""
    location = locations.normalize(output_dir)
    if not storage.is_folder(location):
        print(f"error: no run folders at {location}: no such folder (see --output-dir)", file=sys.stderr)
        return None
    return location


def audit(args: argparse.Namespace) -> int:
    """One run in full, or every run (and sends outside any run) as a table, CSV or JSON."""
    location = trail_folder(args.output_dir)
    if location is None:
        return EXIT_BAD_INPUT
    if args.run:
        if args.run not in run_folders(location).run_ids:
            print(f"error: no run {args.run!r} in {location}", file=sys.stderr)
            return EXIT_BAD_INPUT
        run = load_run(location, args.run)
        for line in run["not_read"]:
            print(line, file=sys.stderr)
        print(render_run(run, args.format))
        return EXIT_OK
    state_uri = args.state or state_of_trail(location)
    if args.state and not storage.exists(args.state):
        print(f"error: no alert state at {args.state}: no such file (see --state)", file=sys.stderr)
        return EXIT_BAD_INPUT
    since = args.since.strftime("%Y%m%d") if args.since else ""
    outside = load_outside(state_uri, location, since)
    trail = load_trail(location, args.since)
    for line in trail.not_read:  # on stderr in every format: a CSV stays data
        print(line, file=sys.stderr)
    print(render(trail.runs, args.format, args.per, outside, trail.not_read))
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    """The offline site for auditors: an index of runs and a page per run."""
    location = trail_folder(args.output_dir)
    if location is None:
        return EXIT_BAD_INPUT
    from backlog_alerts.trail.html import render_trail  # nbconvert: only for the report

    index = render_trail(location, resolve_local(args.to), with_code=args.with_code)
    print(f"wrote {index}")
    return EXIT_OK
