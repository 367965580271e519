"""`make soak`: many seeded fault and crash trials against the embedded emulator, with the figures
docs/reliability.md quotes. Exits 1 if any trial breaks a promise (state, deliveries, subscriptions)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from aws_faults import read_log, spec  # noqa: E402
from helpers import clean_env  # noqa: E402
from trials import FLAKY_OPERATIONS, crash_trial, departed_director, observe, reset, run, with_faults  # noqa: E402

from backlog_alerts.io import emulator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20, help="fault trials and crash trials, each")
    parser.add_argument("--rate", type=float, default=0.2, help="share of the flaky calls that fail")
    args = parser.parse_args()
    started = time.monotonic()
    broken: list[str] = []
    with emulator.moto_server() as endpoint, tempfile.TemporaryDirectory() as work:
        os.environ.update(emulator.emulator_environ(endpoint, {}))
        env = emulator.emulator_environ(endpoint, clean_env())
        reset(endpoint)
        departed_director()
        assert run(env, "--output-dir", f"{work}/clean").returncode == 0, "the fault-free run failed"
        clean = observe(endpoint)

        calls: Counter[str] = Counter()
        faults: Counter[tuple[str, str]] = Counter()
        for seed in range(1, args.trials + 1):
            reset(endpoint)
            departed_director()
            log = f"{work}/faults-{seed}.jsonl"
            chaos = spec(rate=args.rate, seed=seed, operations=FLAKY_OPERATIONS, log=log)
            result = run(with_faults(env, chaos), "--output-dir", f"{work}/faults-{seed}")
            attempts = [f for f in read_log(log) if f["operation"] in FLAKY_OPERATIONS]
            calls.update(f["operation"] for f in attempts)
            faults.update((f["operation"], f["kind"]) for f in attempts if f["kind"])
            if result.returncode != 0 or observe(endpoint) != clean:
                broken.append(
                    f"fault seed {seed}: exit {result.returncode}, outcome differs from the clean run"
                )
        injected = sum(faults.values())
        print(f"faults: {args.trials} runs at {args.rate:.0%} on {', '.join(FLAKY_OPERATIONS)}")
        print(
            f"  {sum(calls.values())} attempts, {injected} failed by injection ({injected / max(1, sum(calls.values())):.0%})"
        )
        for operation in FLAKY_OPERATIONS:
            kinds = ", ".join(f"{k} {n}" for (op, k), n in sorted(faults.items()) if op == operation)
            print(f"  {operation}: {calls[operation]} attempts; injected: {kinds or 'none'}")
        print(
            f"  runs that converged to the fault-free outcome: {args.trials - len(broken)} of {args.trials}"
        )

        trials = []
        for seed in range(1, args.trials + 1):
            trial = crash_trial(seed, endpoint, env, Path(work), clean.for_directors())
            trials.append(trial)
            print(
                f"  crash seed {seed:2}: killed in {trial.killed_in}; subscriptions "
                f"{'same' if trial.same_subscriptions else 'DIFFERENT'}, missing {trial.missing}, "
                f"duplicates {trial.duplicates}",
                flush=True,
            )
            if not trial.same_subscriptions or trial.missing or trial.duplicates > 1:
                broken.append(f"crash seed {seed}: {trial}")
        where = Counter(t.killed_in for t in trials)
        print(
            f"crashes: {len(trials)} SIGKILLs ({', '.join(f'{n} in {w}' for w, n in sorted(where.items()))})"
        )
        print(
            f"  re-runs with the clean run's subscriptions: {sum(t.same_subscriptions for t in trials)}; "
            f"alerts missing: {sum(t.missing for t in trials)}; duplicate deliveries: "
            f"{sum(t.duplicates for t in trials)} (in {sum(1 for t in trials if t.duplicates)} trials)"
        )
    print(
        f"soak finished in {time.monotonic() - started:.0f} s; {'FAILED: ' + '; '.join(broken) if broken else 'all promises kept'}"
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
