"""Benchmark: `audit` and `report` over trails of 100, 1,000 and 10,000 runs built from one real run.

One run is made on the embedded emulator (or `--from` names a run folder); each trail holds copies of it,
one a day going back from the day before it, so that run ids, folders and dates stay in order. A copy is
a folder named by its own run id in which every JSON file (manifest.json, record.json, ...) has the
source's run id replaced by the copy's and its timestamps moved by the same whole number of days, and
every other file (the notebooks) is a hard link to the source's: 10,000 runs take tens of MB, not GB.
Each trail is the smaller one's folders linked, and the rest built.

Every command is a whole `backlog-alerts` process, read from the outside: wall time, CPU time and the
peak RSS of that one child (os.wait4's rusage: its largest process, if it starts others), for `audit`
(table), `audit --format json`, `report --to` on an empty site, `report` again with nothing new and
`report` after one more run was copied in (its own files, not links; then taken out again); the sizes
are measured side by side in one invocation, after both commands on an empty trail (the floor: start and
imports). Then the issue's targets, with PASS or FAIL. Exit code 0 unless `--check` and a target fails
or was not measured.

With `--s3` a trail is uploaded to the emulator's S3 and measured there too: the embedded emulator, or
one you keep running (`--s3-endpoint`, from `make emulator`), where the trail stays for you to try.

    .venv/bin/python bench/trail_scale.py                       # 100, 1,000; 10,000 for audit only
    .venv/bin/python bench/trail_scale.py --sizes 100,1000 --report-sizes 100 --timeout 300
    .venv/bin/python bench/trail_scale.py --sizes 1000 --s3 --s3-endpoint http://127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from backlog_alerts.trail.runs import RUN_ID, RUN_ID_FORMAT, new_run_id

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "backlog_alerts"]
STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")
BUCKET = "backlog-alerts-bench-trail"
COMMANDS = ("audit first read", "audit", "audit json", "report first", "report again", "report one more")
LABELS = {
    "audit first read": "`audit`, first read (builds each run's record)",
    "audit": "`audit` (table)",
    "audit json": "`audit --format json`",
    "report first": "`report --to` (first)",
    "report again": "`report` again, nothing new",
    "report one more": "`report` after one more run",
}


# --- building a trail -------------------------------------------------------------------------------


def run_start(run_id: str) -> datetime:
    """The start time a run id names."""
    return datetime.strptime(run_id, RUN_ID_FORMAT)


def _moved(value: Any, old: str, new: str, days: int) -> Any:
    """`value` (parsed JSON) with `old` replaced by `new` in every string and key, and every whole ISO
    timestamp moved by `days` (its time of day and its form kept)."""
    if isinstance(value, dict):
        return {_moved(k, old, new, days): _moved(v, old, new, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, old, new, days) for v in value]
    if not isinstance(value, str):
        return value
    value = value.replace(old, new)
    stamp = STAMP.fullmatch(value)
    if stamp and days:
        day = datetime.strptime(stamp[1], "%Y-%m-%d") + timedelta(days=days)
        value = day.strftime("%Y-%m-%d") + stamp[2]
    return value


def copy_run(source: Path, trail: Path, days: int, link: bool = True) -> str:
    """A copy of the run folder `source` in `trail`, `days` after it (negative: before); its run id.
    Its notebooks are hard links unless not `link`: a new link changes the change time (ctime) of every
    folder's copy, and a site that tags files by it (as `report`'s cache may) sees every run changed."""
    old = source.name
    new = new_run_id(run_start(old) + timedelta(days=days))
    for here, _, files in os.walk(source):
        target = trail / new / Path(here).relative_to(source)
        target.mkdir(parents=True)
        for name in files:
            if name.endswith(".json"):
                text = json.loads((Path(here) / name).read_text(encoding="utf-8"))
                moved = json.dumps(_moved(text, old, new, days), indent=1, ensure_ascii=False)
                (target / name).write_text(moved + "\n", encoding="utf-8")
            elif link:
                os.link(Path(here) / name, target / name)
            else:
                shutil.copyfile(Path(here) / name, target / name)
    return new


def link_trail(smaller: Path, trail: Path) -> int:
    """`trail` holding the run folders of `smaller`, every file a hard link; how many runs."""
    runs = 0
    for run in sorted(p for p in smaller.iterdir() if p.is_dir()):
        for here, _, files in os.walk(run):
            target = trail / Path(here).relative_to(smaller)
            target.mkdir(parents=True)
            for name in files:
                os.link(Path(here) / name, target / name)
        runs += 1
    return runs


def build_trail(source: Path, trail: Path, runs: int, smaller: Path | None = None) -> None:
    """A trail of `runs` copies of `source`, one a day, the newest the day before it; the newest of them
    linked from `smaller` (a trail this function built) when given."""
    trail.mkdir(parents=True)
    have = link_trail(smaller, trail) if smaller else 0
    for day in range(have + 1, runs + 1):
        copy_run(source, trail, -day)


def disk_bytes(folder: Path) -> int:
    """Bytes on disk under `folder`, each hard-linked file counted once (as `du` counts it)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for here, dirs, files in os.walk(folder):
        for name in [*dirs, *files, "."] if here == str(folder) else [*dirs, *files]:
            stat = os.lstat(Path(here) / name)
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


# --- measuring a command ----------------------------------------------------------------------------


@dataclass
class Measured:
    """One command's wall time, CPU time (user and system: what a busy machine changes least), peak RSS
    and outcome; `failed` is "" or what went wrong."""

    seconds: float
    cpu: float
    peak_mb: float
    failed: str = ""


def measure(command: list[str], env: dict[str, str], timeout: float, out: Path) -> Measured:
    """Run `command` with stdout to `out` (stderr beside it); its wall and CPU time, its own peak RSS."""
    with open(out, "wb") as stdout, open(out.with_suffix(out.suffix + ".err"), "wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=stdout, stderr=stderr, env=env, cwd=ROOT, start_new_session=True
        )
        ended: list[Any] = []

        def reap() -> None:
            _, status, usage = os.wait4(child.pid, 0)
            ended.extend((time.perf_counter(), status, usage))

        waiter = threading.Thread(target=reap)
        waiter.start()
        try:
            waiter.join(timeout)
        finally:  # on a timeout, and when the bench itself is stopped
            stopped = waiter.is_alive()
            if stopped:
                os.killpg(child.pid, signal.SIGKILL)  # the child and anything it started
                waiter.join()
        child.returncode = os.waitstatus_to_exitcode(ended[1])  # reaped above; Popen must not wait again
    usage = ended[2]
    seconds, cpu = ended[0] - started, usage.ru_utime + usage.ru_stime
    peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
    if stopped:
        return Measured(seconds, cpu, peak_mb, "timeout")
    if child.returncode:
        errors = out.with_suffix(out.suffix + ".err").read_text(errors="replace").strip().splitlines()
        print(f"    {' '.join(command[3:])}: exit {child.returncode}: {errors[-1] if errors else ''}")
        return Measured(seconds, cpu, peak_mb, f"exit {child.returncode}")
    return Measured(seconds, cpu, peak_mb)


# --- one trail, every command -----------------------------------------------------------------------


@dataclass
class Trail:
    """Where the runs are (a folder or s3:// prefix), and how to add one more run to it (the newest)
    and take it away again."""

    name: str
    runs: int
    location: str
    env: dict[str, str]
    add_run: Callable[[], Callable[[], None]]


def measure_trail(trail: Trail, work: Path, timeout: float, with_report: bool) -> dict[str, Any]:
    """Every command once over `trail`, which is left as it was found."""
    out = work / "out"
    out.mkdir(exist_ok=True)
    tag = f"{trail.name}-{trail.runs}"
    results: dict[str, Any] = {}
    audit = [*CLI, "audit", "--output-dir", trail.location]
    # Copied folders are not the runner's own: their records are built once, by this first read.
    results["audit first read"] = measure(audit, trail.env, timeout, out / f"{tag}-first.txt")
    results["audit"] = measure(audit, trail.env, timeout, out / f"{tag}-audit.txt")
    listing = out / f"{tag}-audit.json"
    results["audit json"] = measure([*audit, "--format", "json"], trail.env, timeout, listing)
    results["json ids"] = len(set(RUN_ID.findall(listing.read_text(encoding="utf-8", errors="replace"))))
    if not with_report:
        return results
    site = work / f"site-{tag}"
    shutil.rmtree(site, ignore_errors=True)
    report = [*CLI, "report", "--output-dir", trail.location, "--to", str(site)]
    results["report first"] = first = measure(report, trail.env, timeout, out / f"{tag}-report.txt")
    if first.failed:
        return results
    results["site per run"] = disk_bytes(site) / trail.runs
    results["report again"] = measure(report, trail.env, timeout, out / f"{tag}-again.txt")
    remove = trail.add_run()
    try:
        results["report one more"] = measure(report, trail.env, timeout, out / f"{tag}-more.txt")
    finally:
        remove()
    return results


def local_trail(folder: Path, source: Path, env: dict[str, str]) -> Trail:
    """The trail in `folder`; one more run is the source's copy on its own day, the newest, its files
    its own: adding and removing it leaves every other file's tags (inode, times) as they were."""

    def add_run() -> Callable[[], None]:
        run = folder / copy_run(source, folder, 0, link=False)
        return lambda: shutil.rmtree(run)

    return Trail("local", sum(1 for p in folder.iterdir() if p.is_dir()), str(folder), env, add_run)


def floor(work: Path, env: dict[str, str], timeout: float) -> None:
    """Print what `audit` and `report` cost on an empty trail: starting Python and importing, the part
    of every figure that no trail size changes."""
    empty = work / "trail-0"
    empty.mkdir()
    audit = measure([*CLI, "audit", "--output-dir", str(empty)], env, timeout, work / "floor-audit.txt")
    site = str(work / "site-0")
    report = measure(
        [*CLI, "report", "--output-dir", str(empty), "--to", site], env, timeout, work / "floor.txt"
    )
    print(f"on an empty trail (start and imports): audit {cell(audit)}; report {cell(report)}", flush=True)


# --- S3 on the emulator -----------------------------------------------------------------------------


def upload(s3: Any, folder: Path, prefix: str, workers: int = 8) -> int:
    """Every file under `folder` put at `prefix/<its relative path>`, by a thread pool; how many."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda p: s3.upload_file(str(p), BUCKET, f"{prefix}/{p.relative_to(folder)}"), files))
    return len(files)


def s3_trail(folder: Path, source: Path, env: dict[str, str], work: Path) -> tuple[Trail, float]:
    """The local trail `folder` uploaded to the emulator's S3 (boto3, 8 threads); and the upload's seconds."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with suppress(s3.exceptions.BucketAlreadyOwnedByYou):  # an emulator kept running, an earlier bench
        s3.create_bucket(Bucket=BUCKET)
    runs = sum(1 for p in folder.iterdir() if p.is_dir())
    prefix = f"trail-{runs}"
    started = time.perf_counter()
    upload(s3, folder, prefix)
    seconds = time.perf_counter() - started

    def add_run() -> Callable[[], None]:
        staging = Path(tempfile.mkdtemp(dir=work, prefix="s3-more-"))
        run = copy_run(source, staging, 0, link=False)
        upload(s3, staging, prefix)
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/{run}/")["Contents"]
        return lambda: s3.delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": o["Key"]} for o in listed]}
        )

    return Trail("s3", runs, f"s3://{BUCKET}/{prefix}", env, add_run), seconds


# --- the run, the tables, the targets ---------------------------------------------------------------


def quiet_env() -> dict[str, str]:
    """This environment without AWS settings: the state a copied manifest names (in an emulator long
    gone) is then said unreadable at once, never looked for in a real account or the instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


def make_source(work: Path, env: dict[str, str]) -> Path:
    """One real run of the default params on the embedded emulator; its run folder."""
    outputs = work / "source"
    done = subprocess.run([*CLI, "run", "--output-dir", str(outputs)], env=env, cwd=ROOT, capture_output=True)
    if done.returncode:
        sys.exit(f"the source run failed (exit {done.returncode}):\n{done.stderr.decode()[-2000:]}")
    (run,) = [p for p in outputs.iterdir() if p.is_dir()]
    return run


def median(samples: list[Any]) -> Any:
    """The median Measured of a list (a failure, if any, wins: it is what the table must show)."""
    failed = [s for s in samples if isinstance(s, Measured) and s.failed]
    if failed or not isinstance(samples[0], Measured):
        return failed[0] if failed else statistics.median(samples)
    return Measured(
        *(statistics.median(getattr(s, a) for s in samples) for a in ("seconds", "cpu", "peak_mb"))
    )


def cell(value: Any) -> str:
    if value is None:
        return "not run"
    if value.failed:
        return f"{value.failed} after {value.seconds:.0f} s" if value.failed == "timeout" else value.failed
    return f"{value.seconds:.1f} s (cpu {value.cpu:.1f} s), {value.peak_mb:.0f} MB"


def print_table(title: str, results: dict[int, dict[str, Any]], trail_bytes: dict[int, int]) -> None:
    sizes = sorted(results)
    print(f"\n{title}\n")
    print("| | " + " | ".join(f"{n:,} runs" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for command in COMMANDS:
        print(f"| {LABELS[command]} | " + " | ".join(cell(results[n].get(command)) for n in sizes) + " |")
    per_run = [results[n].get("site per run") for n in sizes]
    print("| site on disk per run | " + " | ".join(f"{b / 1e3:.0f} KB" if b else "" for b in per_run) + " |")
    if trail_bytes:
        print("| trail on disk | " + " | ".join(f"{trail_bytes[n] / 1e6:.1f} MB" for n in sizes) + " |")
    listed = {n: results[n].get("json ids") for n in sizes}
    wrong = {n: got for n, got in listed.items() if got is not None and got < n}
    if wrong:
        print("\nwarning: `audit --format json` named fewer run ids than the trail holds: " + str(wrong))


def targets(results: dict[int, dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """The issue's targets: what each is, the measured value, and whether it is met (None: not measured)."""
    rows: list[tuple[str, str, bool | None]] = []

    def ratio(what: str, command: str, attr: str, limit: float) -> None:
        small, big = results.get(100, {}).get(command), results.get(1000, {}).get(command)
        name = f"{LABELS[command]}: {what} at 1,000 runs <= {limit}x at 100"
        if small is None or big is None or small.failed:
            rows.append((name, "not measured", None))
        elif big.failed:
            rows.append((name, big.failed, False))
        else:
            value = getattr(big, attr) / getattr(small, attr)
            cpu = f" (cpu {big.cpu / small.cpu:.2f}x)" if attr == "seconds" else ""
            rows.append((name, f"{value:.2f}x{cpu}", value <= limit))

    for command in ("audit", "audit json", "report first", "report again", "report one more"):
        ratio("memory", command, "peak_mb", 1.5)
    for command in ("audit", "audit json"):
        ratio("time", command, "seconds", 3)
    for command in ("report again", "report one more"):
        ratio("time", command, "seconds", 2)
    big = results.get(10000, {}).get("audit json")
    name = f"{LABELS['audit json']}: memory at 10,000 runs < 250 MB"
    if big is None:
        rows.append((name, "not measured", None))
    else:
        rows.append((name, big.failed or f"{big.peak_mb:.0f} MB", not big.failed and big.peak_mb < 250))
    return rows


def sizes_arg(text: str) -> list[int]:
    return sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=sizes_arg, default=[100, 1000, 10000], help="trail sizes (100,1000,10000)"
    )
    parser.add_argument(
        "--report-sizes", type=sizes_arg, help="sizes `report` is measured at (default: those up to 1,000)"
    )
    parser.add_argument("--from", dest="source", type=Path, help="copy this run folder instead of a new run")
    parser.add_argument("--repeat", type=int, default=1, help="measurements per size, the median kept (1)")
    parser.add_argument("--repeat-small", type=int, default=3, help="... at sizes up to 100 runs (3)")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds before a command is stopped (900)"
    )
    parser.add_argument(
        "--s3", action="store_true", help="also upload a trail to the emulator's S3 and measure it"
    )
    parser.add_argument("--s3-size", type=int, help="the trail size put on S3 (default: the smallest)")
    parser.add_argument("--s3-endpoint", help="an emulator you keep running (default: the embedded one)")
    parser.add_argument(
        "--keep", type=Path, help="build in this new folder and leave it (trails, sites, outputs)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the command measured is ended too
    report_sizes = set(args.report_sizes or [n for n in args.sizes if n <= 1000])
    env = quiet_env()
    with ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trail-scale-")))
        source = args.source.resolve() if args.source else make_source(work, env)
        if not RUN_ID.fullmatch(source.name):
            sys.exit(f"{source}: not a run folder (its name is not a run id)")
        print(
            f"{os.cpu_count()} cores; source run {source.name}: "
            + ", ".join(sorted(p.name for p in source.iterdir())),
            flush=True,
        )

        folders: dict[int, Path] = {}
        trail_bytes: dict[int, int] = {}
        smaller = None
        for n in args.sizes:
            started = time.perf_counter()
            build_trail(source, work / f"trail-{n}", n, smaller)
            folders[n] = smaller = work / f"trail-{n}"
            trail_bytes[n] = disk_bytes(folders[n])
            print(
                f"built {n:,} runs in {time.perf_counter() - started:.1f} s "
                f"({'extending the previous' if n != args.sizes[0] else 'from the source'}), "
                f"{trail_bytes[n] / 1e6:.1f} MB on disk (hard links counted once)",
                flush=True,
            )

        trails = [local_trail(folders[n], source, env) for n in args.sizes]
        measured: dict[str, dict[int, dict[str, list[Any]]]] = {"local": {}}
        if args.s3:
            from backlog_alerts.io import emulator

            endpoint = args.s3_endpoint or stack.enter_context(emulator.moto_server())
            s3_size = args.s3_size or args.sizes[0]
            folder = folders.get(s3_size) or work / f"trail-{s3_size}"
            if s3_size not in folders:
                build_trail(source, folder, s3_size, None)
            trail, seconds = s3_trail(folder, source, emulator.emulator_environ(endpoint, env), work)
            print(f"uploaded {s3_size:,} runs to {trail.location} on {endpoint} in {seconds:.1f} s")
            if args.s3_endpoint:
                print(
                    f"it stays there: export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing "
                    f"AWS_SECRET_ACCESS_KEY=testing; backlog-alerts audit --output-dir {trail.location}"
                )
            trails.append(trail)
            measured["s3"] = {}
        print(
            f"report measured at {sorted(report_sizes)} runs (--report-sizes); each command stopped "
            f"after {args.timeout:.0f} s (--timeout), then shown as `timeout`",
            flush=True,
        )

        floor(work, env, args.timeout)
        for repeat in range(max(args.repeat, args.repeat_small)):
            for trail in trails:
                if repeat >= (args.repeat_small if trail.runs <= 100 else args.repeat):
                    continue
                with_report = trail.name == "s3" or trail.runs in report_sizes
                got = measure_trail(trail, work, args.timeout, with_report)
                for key, value in got.items():
                    measured[trail.name].setdefault(trail.runs, {}).setdefault(key, []).append(value)
                print(
                    f"  {trail.name} {trail.runs:,} runs, measurement {repeat + 1}: "
                    + "; ".join(f"{k} {cell(v)}" for k, v in got.items() if isinstance(v, Measured)),
                    flush=True,
                )

        results = {
            name: {n: {k: median(v) for k, v in by.items()} for n, by in sizes.items()}
            for name, sizes in measured.items()
        }
        print_table(
            f"local trails ({os.cpu_count()} cores, median of {args.repeat}, "
            f"{args.repeat_small} up to 100 runs)",
            results["local"],
            trail_bytes,
        )
        if "s3" in results:
            print_table(
                f"the same on the emulator's S3 ({'yours' if args.s3_endpoint else 'in the bench process'})",
                results["s3"],
                {},
            )

    rows = targets(results["local"])
    print("\ntargets (local trails)\n")
    for name, value, met in rows:
        print(f"{'n/a ' if met is None else 'PASS' if met else 'FAIL'}  {name}: {value}")
    return 1 if args.check and any(met is not True for _, _, met in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
