"""Open backlog from ~1,000,000 raw request records: our pyarrow loader against a plain
`pd.read_csv` + groupby, side by side in one run, each in a fresh process (wall time, peak memory).
Each process first runs its method once on the small real file, so one-time library start-up is
timed for neither.

    .venv/bin/python bench/requests_backlog.py            # builds the file from ../shared/data/real
    .venv/bin/python bench/requests_backlog.py --rows 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = (
    ROOT.parent / "shared/data/real/gid_raw/get_it_done_2021_requests_datasd_v1fromMarch__melissamonroe.csv"
)
CLOSED = ("closed", "referred")


def build(rows: int, folder: Path) -> Path:
    """The real San Diego file repeated (header once) until it has about `rows` records."""
    header, *body = REAL.read_text(encoding="utf-8").splitlines(keepends=True)
    path = folder / "requests.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        for _ in range(max(1, round(rows / len(body)))):
            out.writelines(body)
    return path


def ours(path: str) -> dict[str, int]:
    from backlog_alerts.alerting.backlog import RequestSettings, open_backlog

    return dict(open_backlog(path, RequestSettings()).counts)


def plain_pandas(path: str) -> dict[str, int]:
    frame = pd.read_csv(path)
    status = frame["status"].fillna("").str.strip().str.casefold()
    open_ = frame[~status.isin(CLOSED) & frame["service_request_parent_id"].isna()]
    names = open_["service_name"].fillna("").str.strip()
    return {k: int(v) for k, v in names[names != ""].groupby(names).size().items()}


def child(method: str, path: str) -> None:
    """Run one method in this fresh process and print its figures as JSON."""
    if method == "ours":  # each process imports only what its method needs, before the clock starts
        import backlog_alerts.alerting.backlog  # noqa: F401
    else:
        global pd
        import pandas as pd
    run = {"ours": ours, "pandas": plain_pandas}[method]
    run(str(REAL))  # warm-up on the small real file: each library's one-time initialization is not timed
    started = time.perf_counter()
    counts = run(path)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"seconds": seconds, "peak_mb": peak_mb, "open": sum(counts.values()), "counts": counts})
    )


def measure(method: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--child", method, str(path)]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method, alternating")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = build(args.rows, Path(folder))
        size_mb = path.stat().st_size / 2**20
        records = sum(1 for _ in path.open(encoding="utf-8")) - 1
        results: dict[str, list[dict]] = {"ours": [], "pandas": []}
        for _ in range(args.repeat):
            for method in results:
                results[method].append(measure(method, path))
    assert results["ours"][0]["counts"] == results["pandas"][0]["counts"], "the two methods disagree"
    print(
        f"file: {records:,} records, {size_mb:,.0f} MB on disk; open backlog {results['ours'][0]['open']:,}"
    )
    print("| method | wall s (median) | peak memory MB (max) |")
    print("|---|---:|---:|")
    summary = {}
    for method, label in (("pandas", "plain pd.read_csv + groupby"), ("ours", "pyarrow, 3 columns (ours)")):
        seconds = statistics.median(r["seconds"] for r in results[method])
        peak = max(r["peak_mb"] for r in results[method])
        summary[method] = (seconds, peak)
        print(f"| {label} | {seconds:.2f} | {peak:,.0f} |")
    speedup = summary["pandas"][0] / summary["ours"][0]
    ours_share, pandas_share = summary["ours"][1] / size_mb, summary["pandas"][1] / size_mb
    print(
        f"ours is {speedup:.1f}x faster; peak memory {summary['ours'][1]:,.0f} MB "
        f"({ours_share:.0%} of the file's size; pandas: {pandas_share:.0%})"
    )


if __name__ == "__main__":
    main()
