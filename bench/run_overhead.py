"""Benchmark: `backlog-alerts run` beside the same job as a straight-line script, on one moto server.

Both are whole commands (interpreter start included), timed side by side in one process, in
alternating order, against the same emulator: the course case (5 contacts) and a contacts file of
2,000, each as a no-change re-run after a first run. The runner's time is then broken down from its
own trail: before the first notebook (start, imports, checks), and per notebook the wait for its
kernel, its import cell, its other cells (and of those, the time the emulator spent answering), and
papermill's own share; then what follows the last notebook.

    .venv/bin/python bench/run_overhead.py               # 5 and 2000 contacts, median of 3
    .venv/bin/python bench/run_overhead.py --contacts 5 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from backlog_alerts.io import aws, emulator
from backlog_alerts.io.demo import DEMO_REPORT_URI, seed_demo

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "course_script.py"
RUNNER = [sys.executable, "-m", "backlog_alerts"]
CONTACTS_URI = "s3://backlog-alerts-demo-contacts/bench/contacts-{n}.csv"
AREAS = ("619", "858", "760", "442")


@dataclass
class TimedServer:
    """moto's app, one request at a time (its SNS backend is not thread-safe), each request's span kept."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            started = time.time()
            body = list(self.app(environ, start_response))
            self.spans.append((started, time.time()))
        return body

    def busy(self, start: float, end: float) -> float:
        """Seconds spent answering requests within [start, end]."""
        return sum(max(0.0, min(e, end) - max(s, start)) for s, e in self.spans)


@contextmanager
def timed_moto() -> Iterator[tuple[str, TimedServer]]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call
    app = TimedServer()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.port}", app
    finally:
        server.shutdown()


def contacts_csv(n: int) -> str:
    rows = [
        f"Director {i},director{i}@example.gov,+1{AREAS[i // 10000]}555{i % 10000:04d},{('trash', 'streets')[i % 2]}"  # noqa: E501
        for i in range(n)
    ]
    return "Name,Email,Phone,Department\n" + "\n".join(rows) + "\n"


def prepare(endpoint: str, n: int, work: Path) -> tuple[Path, str]:
    """The emulator reset and seeded, the contacts file on S3, and a params file naming it."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    s3 = aws.client("s3", "us-east-1")
    seed_demo(s3)
    uri = CONTACTS_URI.format(n=n)
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=contacts_csv(n).encode())
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params["contacts_uri"] = uri
    path = work / f"params-{n}.yaml"
    path.write_text(yaml.safe_dump(params))
    return path, uri


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def breakdown(run: Path, launched: float, ended: float, server: TimedServer) -> list[tuple[str, float]]:
    """Where the runner's wall time went, from its manifest and papermill's per-cell timestamps."""
    manifest = json.loads((run / "manifest.json").read_text())
    rows: list[tuple[str, float]] = []
    previous_end = launched
    for entry in manifest["notebooks"]:
        notebook = json.loads((run / entry["notebook"]).read_text())
        cells = [c for c in notebook["cells"] if c["cell_type"] == "code" and c["metadata"].get("papermill")]
        begun = stamp(entry["started_at"])
        first = stamp(cells[0]["metadata"]["papermill"]["start_time"])
        spans = [
            (stamp(c["metadata"]["papermill"]["start_time"]), stamp(c["metadata"]["papermill"]["end_time"]))
            for c in cells
        ]
        imports = next(
            e - s for (s, e), c in zip(spans, cells, strict=True) if "import " in "".join(c["source"])
        )
        in_cells = sum(e - s for s, e in spans)
        name = entry["notebook"].split("_")[0]
        label = "start, imports, checks" if not rows else "between notebooks"
        rows.append((f"{name} before it: {label}", begun - previous_end))
        rows.append((f"{name} waiting for its kernel", first - begun))
        rows.append((f"{name} import cell", imports))
        rows.append((f"{name} other cells", in_cells - imports))
        rows.append((f"{name}   of which the emulator answering", server.busy(spans[0][0], spans[-1][1])))
        previous_end = stamp(entry["ended_at"])
        rows.append((f"{name} papermill (saving, between cells)", previous_end - first - in_cells))
    rows.append(("after the last notebook: summary, exit", ended - previous_end))
    return rows


def measure(n: int, repeat: int, endpoint: str, server: TimedServer, work: Path) -> dict[str, Any]:
    env = emulator.emulator_environ(endpoint)
    params, uri = prepare(endpoint, n, work)
    output = work / f"outputs-{n}"
    run = [*RUNNER, "run", "--params", str(params), "--output-dir", str(output)]
    script = [sys.executable, str(SCRIPT), uri, DEMO_REPORT_URI]
    first = timed(run, env)  # topics and subscriptions created; what follows changes nothing
    runner, straight, split = [], [], []
    for i in range(repeat):
        for which in ("runner", "script") if i % 2 == 0 else ("script", "runner"):
            if which == "script":
                straight.append(timed(script, env))
                continue
            launched = time.time()
            runner.append(timed(run, env))
            newest = max(p for p in output.iterdir() if p.is_dir())
            split.append(dict(breakdown(newest, launched, time.time(), server)))
    return {
        "contacts": n,
        "first": first,
        "runner": statistics.median(runner),
        "script": statistics.median(straight),
        "breakdown": {k: statistics.median(d[k] for d in split) for k in split[0]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", default="5,2000", help="contacts file sizes (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, the median kept")
    args = parser.parse_args()
    results = []
    with (
        timed_moto() as (endpoint, server),
        tempfile.TemporaryDirectory() as work,
        emulator.patched_environ(emulator.emulator_environ(endpoint)),
    ):
        for n in (int(x) for x in args.contacts.split(",")):
            results.append(measure(n, args.repeat, endpoint, server, Path(work)))
    print(f"{os.cpu_count()} cores, median of {args.repeat}, one moto server\n")
    print("| contacts | first run | no-change re-run | straight-line script | ratio |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['contacts']:,} | {r['first']:.1f} s | {r['runner']:.1f} s | {r['script']:.1f} s "
            f"| {r['runner'] / r['script']:.2f}x |"
        )
    for r in results:
        print(f"\nwhere the no-change re-run's {r['runner']:.2f} s go, {r['contacts']:,} contacts:\n")
        print("| part | seconds |\n|---|---:|")
        for part, seconds in r["breakdown"].items():
            print(f"| {part} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
