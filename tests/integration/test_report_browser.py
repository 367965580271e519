"""The report site as a person sees it: headless Chromium renders the index and a run page."""

import re
import shutil
import subprocess

import pytest
from helpers import clean_env, run_cli

from backlog_alerts.io import emulator
from backlog_alerts.trail.audit import load_runs
from backlog_alerts.trail.audit_data import run_record
from backlog_alerts.trail.site_page import CSP_META

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1280
# Written into the DOM once laid out, so --dump-dom can report how wide the page really is.
MEASURE = "<script>document.body.dataset.scrollWidth = document.documentElement.scrollWidth;</script>"


def chromium(*args: str) -> str:
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={WIDTH},1600"]
    result = subprocess.run([*base, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium)")
def test_index_and_run_page_render_in_chromium_within_1280px(aws_endpoint, tmp_path):
    out, site = tmp_path / "out", tmp_path / "site"
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    assert run_cli(["run", "--output-dir", str(out)], env).returncode == 0
    assert run_cli(["report", "--output-dir", str(out), "--to", str(site)], clean_env()).returncode == 0
    (run,) = load_runs(str(out))
    record = run_record(run)
    index, run_page = site / "index.html", site / record["run_id"] / "index.html"

    for page, name in ((index, "index.png"), (run_page, "run.png")):
        shot = tmp_path / name
        chromium(f"--screenshot={shot}", page.as_uri())
        assert shot.stat().st_size > 10_000
        print(f"screenshot: {shot}")

    shown = visible_text(chromium("--dump-dom", index.as_uri()))
    assert "succeeded" in shown and record["alerts"][0]["message_id"] in shown
    shown = visible_text(chromium("--dump-dom", run_page.as_uri()))
    assert record["params_sha256"] in shown and "succeeded" in shown
    assert record["alerts"][0]["message_id"] in shown and record["alerts"][0]["topic_arn"] in shown

    measured = index.with_name("measured.html")
    # Our pages forbid every script (their Content-Security-Policy): the measuring copy goes without it.
    measured.write_text(index.read_text().replace(CSP_META, "").replace("</body>", MEASURE + "</body>"))
    width = re.search(r'data-scroll-width="(\d+)"', chromium("--dump-dom", measured.as_uri()))
    assert width, "the measuring script did not run"
    assert int(width.group(1)) <= WIDTH, f"index is {width.group(1)} px wide: it scrolls sideways at {WIDTH}"
