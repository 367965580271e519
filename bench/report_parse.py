"""A counts report of 10,000 to 1,000,000 rows through `parse_counts`, with its error path: the time
per row must stay flat as the file grows (linear parsing), where comparing each service with every
earlier one (the old case-twin check) grew with the square of the rows.

    .venv/bin/python bench/report_parse.py                  # 10k, 100k, 1M rows
    .venv/bin/python bench/report_parse.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import contextlib
import time

from backlog_alerts.alerting.report import parse_counts
from backlog_alerts.io.sources import Source, SourceError


def report_text(rows: int, twin_at_end: bool) -> str:
    """`rows` distinct services; optionally one more that differs from the first only by case."""
    lines = [f"Service {i:07d},{i % 500}\n" for i in range(rows)]
    if twin_at_end:
        lines.append("SERVICE 0000000,3\n")
    return "service_name,count\n" + "".join(lines)


def seconds(text: str) -> float:
    started = time.perf_counter()
    with contextlib.suppress(SourceError):  # the twin case ends in the error, as a real run would
        parse_counts(Source("bench.csv", text, "", ""))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    seconds(report_text(1_000, False))  # warm-up: imports and pandas' first call are not timed
    print("| rows | valid report s | case twin on the last row s | us per row | vs smallest |")
    print("|---:|---:|---:|---:|---:|")
    first = None
    for rows in args.sizes:
        valid, twin = seconds(report_text(rows, False)), seconds(report_text(rows, True))
        per_row = 1e6 * max(valid, twin) / rows
        first = first or per_row
        print(f"| {rows:,} | {valid:.2f} | {twin:.2f} | {per_row:.2f} | {per_row / first:.2f}x |")


if __name__ == "__main__":
    main()
