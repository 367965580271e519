"""The report site as a person sees it: headless Chromium lays out every kind of page at 1,280 px.

The invariant (backlog_alerts/trail/site_page.py): at a 1,280 px window no page scrolls sideways
(document scrollWidth within the window) and no element is wider inside than it shows (scrollWidth >
clientWidth + 1: content hidden behind a box's own sideways scroll, or spilling out of it). Nothing is
exempt. Each page is measured as written, under its own Content-Security-Policy, from a page that
frames them all: the site's stylesheet must load under that CSP, and a script planted in a page must
not run.

Set BACKLOG_ALERTS_SCREENSHOTS to a folder to keep a screenshot of each page there.
"""

import copy
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import clean_env, reset_emulator, run_cli

from backlog_alerts.io import emulator
from backlog_alerts.trail.audit import load_runs
from backlog_alerts.trail.audit_data import run_record
from backlog_alerts.trail.site_index import month_html, run_row
from backlog_alerts.trail.site_page import month_of, month_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium)"),
]
WIDTH = 1280
KINDS = [
    "index",
    "month page",
    "crowded month page",
    "run page",
    "backtest run page",
    "notebook 01",
    "notebook 02",
    "notebook 03",
    "notebook 04",
]
# A failed run's error as the month's page shows it: words, then a key with no space in it to break at.
LONG_ERROR = (
    "PapermillExecutionError: the report s3://backlog-alerts-demo-reports/2019/feb/"
    "final_report_of_the_department_of_public_works_streets_and_sanitation_backlog_by_request_type.csv "
    "has no column 'Backlog Count'; " * 3
)
# A page that frames every page of the site, each in a 1,280 px frame, as written (its own CSP, which
# forbids every script in it), and measures them from outside once all have loaded: one launch of
# Chromium for the whole site. `--allow-file-access-from-files` lets it read the framed documents.
HARNESS = """<!doctype html><html><body>{frames}<script>
addEventListener("load", () => {{
  const name = (el) => el.tagName.toLowerCase() + (el.className ? "." + el.className.split(" ").join(".") : "");
  const found = {{}};
  for (const frame of document.querySelectorAll("iframe")) {{
    const doc = frame.contentDocument, root = doc.documentElement;
    const overflowing = [];
    let widest = null;
    for (const el of doc.querySelectorAll("body, body *")) {{
      if (el.scrollWidth > el.clientWidth + 1) {{
        overflowing.push(`${{name(el)}} shows ${{el.clientWidth}} of ${{el.scrollWidth}} px`);
      }}
      const right = Math.round(el.getBoundingClientRect().right);
      if (el !== doc.body && (!widest || right > widest.right)) widest = {{element: name(el), right}};
    }}
    let idLines = 0;  // the most lines a MessageId (a UUID alone in its cell) is shown on
    for (const el of doc.querySelectorAll("td, dd, code")) {{
      if (!/^[0-9a-f]{{8}}(-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}$/.test(el.textContent.trim())) continue;
      const range = doc.createRange();
      range.selectNodeContents(el);
      idLines = Math.max(idLines, new Set([...range.getClientRects()].map((r) => Math.round(r.bottom))).size);
    }}
    found[frame.name] = {{
      scrollWidth: root.scrollWidth, window: root.clientWidth, overflowing, widest, idLines,
      styled: frame.contentWindow.getComputedStyle(doc.body).maxWidth === "1200px",
      planted: doc.body.dataset.planted || "",
    }};
  }}
  document.body.dataset.measured = JSON.stringify(found);
}});
</script></body></html>"""
# Stands for a script a tampered trail might get into a page: the page's CSP must keep it from running.
PLANTED = '<script>document.body.dataset.planted = "ran";</script>'


def chromium(*args: str, width: int = WIDTH) -> str:
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},1600"]
    result = subprocess.run([*base, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def measure(site: Path, pages: dict[str, Path]) -> dict[str, dict]:
    """How Chromium laid out each page (framed by a harness at the site's root, then removed), with a
    copy of the run page carrying a planted script beside them."""
    planted = pages["run page"].with_name("planted.html")
    planted.write_text(pages["run page"].read_text().replace("</body>", PLANTED + "</body>"))
    frames = "".join(
        f'<iframe name="{kind}" src="{html.escape(path.relative_to(site).as_posix())}" '
        f'width="{WIDTH}" height="1600"></iframe>'
        for kind, path in [*pages.items(), ("planted", planted)]
    )
    harness = site / "measure-harness.html"
    harness.write_text(HARNESS.format(frames=frames))
    try:
        dom = chromium("--allow-file-access-from-files", "--dump-dom", harness.as_uri(), width=WIDTH + 100)
    finally:
        harness.unlink()
        planted.unlink()
    found = re.search(r'data-measured="([^"]*)"', dom)
    assert found, "the measuring harness did not run"
    return json.loads(html.unescape(found.group(1)))


def visible_text(dom: str) -> str:
    """The page's text; an identifier broken into chunks (<span>, <wbr>) reads whole."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
    dom = re.sub(r"</?(span|wbr)\b[^>]*>", "", dom)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom)))


@pytest.fixture(scope="module")
def site(moto_endpoint, tmp_path_factory):
    """One run and one backtest on the emulator, the site `report` writes of them, and the layout of
    each of its pages in Chromium."""
    reset_emulator(moto_endpoint)
    tmp = tmp_path_factory.mktemp("browser")
    out, site = tmp / "out", tmp / "site"
    env = emulator.emulator_environ(moto_endpoint, clean_env())
    for command in ("run", "backtest"):
        result = run_cli([command, "--output-dir", str(out)], env)
        assert result.returncode == 0, result.stderr
    result = run_cli(["report", "--output-dir", str(out), "--to", str(site)], clean_env())
    assert result.returncode == 0, result.stderr
    run, backtest = sorted(load_runs(str(out)), key=lambda r: r["manifest"]["run_id"])
    record, backtest_id = run_record(run), backtest["manifest"]["run_id"]
    run_id = record["run_id"]
    crowded = site / month_page("2099-01")  # a month of 60 runs, a third failed with long errors
    crowded.write_text(month_html("2099-01", crowded_rows(run), "", month_of(run_id)))
    pages = dict(
        zip(
            KINDS,
            [
                site / "index.html",
                site / month_page(month_of(run_id)),
                crowded,
                site / run_id / "index.html",
                site / backtest_id / "index.html",
                site / run_id / "01_topic_setup.html",
                site / run_id / "02_subscription_sync.html",
                site / run_id / "03_alert_check.html",
                site / backtest_id / "04_backtest.html",
            ],
            strict=True,
        )
    )
    if folder := os.environ.get("BACKLOG_ALERTS_SCREENSHOTS"):
        for kind, page in pages.items():
            chromium(f"--screenshot={Path(folder) / (kind.replace(' ', '-') + '.png')}", page.as_uri())
    return pages, measure(site, pages), record


def crowded_rows(run: dict) -> list[tuple[str, str]]:
    """Sixty copies of the run's row in one month, newest first; each third failed with a long error."""
    rows = []
    for n in range(60, 0, -1):
        copied = copy.deepcopy(run)
        copied["manifest"]["run_id"] = f"209901{(n + 1) // 2:02d}T{(1 - n % 2) * 12:02d}0000.000000Z"
        if n % 3 == 0:
            copied["manifest"] |= {
                "status": "failed",
                "failed_notebook": "03_alert_check.ipynb",
                "error": LONG_ERROR,
            }
        rows.append(("run", run_row(copied)))
    return rows


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_page_fits_1280px_in_chromium(site, kind):
    pages, layouts, record = site
    page, layout = pages[kind], layouts[kind]

    assert layout["styled"], f"{kind}: the site's stylesheet did not load under the page's CSP"
    assert layout["scrollWidth"] <= min(WIDTH, layout["window"]), (
        f"{kind} ({page.name}) is {layout['scrollWidth']} px wide in a {layout['window']} px window: "
        f"it scrolls sideways; widest element: {layout['widest']['element']}, "
        f"to {layout['widest']['right']} px"
    )
    assert layout["overflowing"] == [], (
        f"{kind} ({page.name}) hides content sideways: {layout['overflowing']}"
    )

    shown = visible_text(page.read_text())
    if kind == "crowded month page":
        assert shown.count("Backlog Count") == 20 * 3 and shown.count("209901") == 60
    if kind in ("index", "month page", "run page", "notebook 03"):
        assert record["alerts"][0]["message_id"] in shown  # whole, once its breaks are read past
    if kind in ("index", "month page", "run page"):
        assert "succeeded" in shown
    if kind == "run page":
        assert record["params_sha256"] in shown and record["alerts"][0]["topic_arn"] in shown


def test_a_script_in_a_page_does_not_run_under_its_csp(site):
    assert site[1]["planted"]["styled"] and site[1]["planted"]["planted"] == ""
