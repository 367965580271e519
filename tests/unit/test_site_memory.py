"""The site's memory (`site.json`) and folder against an adversary: a planted, damaged or foreign memory
never crashes `report`, writes outside --to or shows anything not read from the trail; a --to that is the
trail's own folder is refused; a month's page links the months that are there now."""

import json
import shutil

import pytest
from helpers import hand_built_run, write_run

from backlog_alerts.io import storage
from backlog_alerts.trail import html as site
from backlog_alerts.trail.record import RECORD, sources
from backlog_alerts.trail.runs import run_folders
from backlog_alerts.trail.site_cache import STATE, OtherTrail


class Exporter:
    def from_notebook_node(self, notebook):
        return json.dumps(notebook, sort_keys=True), {}


@pytest.fixture(autouse=True)
def quick_notebooks(monkeypatch):
    monkeypatch.setattr(site, "notebook_exporter", lambda with_code=False: Exporter())


def pages(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_id(month, day=1):
    return f"2026{month:02d}{day:02d}T000000.000000Z"


def trail_of(tmp_path, *ids):
    trail = tmp_path / "trail"
    trail.mkdir()
    for one in ids:
        write_run(trail, hand_built_run(one))
    return trail


def same_as_fresh(trail, site_folder, tmp_path):
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    site.render_trail(str(trail), fresh)
    return pages(site_folder) == pages(fresh)


@pytest.mark.parametrize("gone", [1, 2, 3], ids=["oldest month", "middle month", "newest month"])
def test_a_month_emptied_is_no_longer_linked_from_the_months_beside_it(tmp_path, gone):
    trail = trail_of(tmp_path, run_id(1), run_id(2), run_id(3))
    site.render_trail(str(trail), tmp_path / "site")
    shutil.rmtree(trail / run_id(gone))
    site.render_trail(str(trail), tmp_path / "site")
    assert same_as_fresh(trail, tmp_path / "site", tmp_path)
    for page in (tmp_path / "site").glob("runs-*.html"):
        assert f"runs-2026-{gone:02d}.html" not in page.read_text()


def plant(site_folder, change):
    data = json.loads((site_folder / STATE).read_text())
    change(data)
    (site_folder / STATE).write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["runs"][run_id(2)].update(row="<tr><td><script>alert(1)</script>all is well</td></tr>"),
        lambda d: d["runs"][run_id(2)].update(month="../../../escaped"),
        lambda d: d["runs"][run_id(2)].update(month="2026-01"),  # not the month its id says
        lambda d: d["runs"].update({"202602../../escaped": d["runs"][run_id(2)]}),  # its month is 2026-02
        lambda d: d["runs"][run_id(2)].update(sent=True),
        lambda d: d["runs"][run_id(2)].update(sent=-3),
        lambda d: d["runs"][run_id(2)].update(kind="<b>run</b>"),
        lambda d: d["runs"][run_id(2)].update(fingerprint="../x"),
        lambda d: d["runs"][run_id(2)].update(not_read=["<script>x</script>"]),
        lambda d: d["runs"][run_id(2)].update(not_read=["not read: \x1b[2Jx"]),
        lambda d: d.update(runs=[]),
        lambda d: d.update(format=1),
    ],
    ids=[
        "row with a script",
        "month out of the site",
        "month not of its id",
        "run id out of the site",
        "sent a bool",
        "sent negative",
        "kind markup",
        "fingerprint not a digest",
        "not-read markup",
        "not-read escape",
        "runs not a mapping",
        "older format",
    ],
)
def test_a_planted_memory_is_not_used_and_writes_nothing_outside_the_site(tmp_path, change, monkeypatch):
    trail = trail_of(tmp_path, run_id(1), run_id(2))
    site_folder = tmp_path / "site"
    site.render_trail(str(trail), site_folder)
    plant(site_folder, change)
    rendered = []
    real = site._render_run
    monkeypatch.setattr(site, "_render_run", lambda *a: rendered.append(a[2]) or real(*a))
    site.render_trail(str(trail), site_folder)
    assert sorted(rendered) == [run_id(1), run_id(2)]  # the memory was not used: every run read again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "trail"]
    assert same_as_fresh(trail, site_folder, tmp_path)


def test_a_row_is_never_taken_from_the_memory(tmp_path):
    """A memory whose every entry is of the form (so it is used) cannot put a row on a page: rows are read
    from the trail whenever a page showing them is written."""
    trail = trail_of(tmp_path, run_id(1), run_id(2))
    site_folder = tmp_path / "site"
    site.render_trail(str(trail), site_folder)
    write_run(trail, hand_built_run(run_id(2, 2)))  # the month's page is written again
    site.render_trail(str(trail), site_folder)
    assert same_as_fresh(trail, site_folder, tmp_path)
    assert "row" not in json.loads((site_folder / STATE).read_text())["runs"][run_id(2)]


def test_the_site_of_another_trail_is_refused_and_left_as_it_was(tmp_path):
    trail = trail_of(tmp_path, run_id(1))
    other = tmp_path / "other"
    write_run(other, hand_built_run(run_id(2)))
    site_folder = tmp_path / "site"
    site.render_trail(str(trail), site_folder)
    before = pages(site_folder)
    with pytest.raises(OtherTrail, match=f"another trail \\({trail}.*give each trail its own --to"):
        site.render_trail(str(other), site_folder)
    assert pages(site_folder) == before


def test_the_same_trail_by_another_path_is_the_same_site(tmp_path):
    trail = trail_of(tmp_path, run_id(1))
    (tmp_path / "link").symlink_to(trail)
    site.render_trail(str(trail), tmp_path / "site")
    site.render_trail(str(tmp_path / "link"), tmp_path / "site")  # not refused
    assert (tmp_path / "site" / run_id(1) / "index.html").is_file()


@pytest.mark.parametrize(
    "where", ["trail", "trail/" + run_id(1), "trail/" + run_id(1) + "/html", "trail/" + run_id(9), "."]
)
def test_a_site_folder_that_is_the_trail_s_is_refused_and_the_trail_untouched(tmp_path, where):
    trail = trail_of(tmp_path, run_id(1))
    if where == ".":  # the site's folder holds the trail where a run's pages go
        trail = trail.rename(tmp_path / run_id(8))
    before = pages(tmp_path)
    with pytest.raises(site.TrailFolder, match="--to"):
        site.render_trail(str(trail), tmp_path / where)
    assert pages(tmp_path) == before


def test_a_site_folder_in_the_trail_beside_its_runs_is_fine(tmp_path):
    trail = trail_of(tmp_path, run_id(1))
    site.render_trail(str(trail), trail / "html")
    assert run_folders(str(trail)).run_ids == [run_id(1)]
    assert (trail / "html" / run_id(1) / "index.html").is_file()


def test_a_link_in_a_run_s_place_in_the_site_is_removed_not_followed(tmp_path):
    trail = trail_of(tmp_path, run_id(1))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    site_folder = tmp_path / "site"
    site.render_trail(str(trail), site_folder)
    shutil.rmtree(site_folder / run_id(1))
    (site_folder / run_id(1)).symlink_to(elsewhere)  # in a shown run's place
    (site_folder / run_id(5)).symlink_to(elsewhere)  # in the place of a run the trail does not hold
    site.render_trail(str(trail), site_folder)
    assert (elsewhere / "keep.txt").read_text() == "mine" and sorted(p.name for p in elsewhere.iterdir()) == [
        "keep.txt"
    ]
    assert not (site_folder / run_id(1)).is_symlink() and not (site_folder / run_id(5)).exists()
    assert same_as_fresh(trail, site_folder, tmp_path)


def test_a_record_that_cannot_be_saved_is_said_by_every_report(tmp_path, monkeypatch):
    """A damaged record on a trail we may not write (an auditor's read-only credentials) is said on the
    index by every report, as a fresh report would, not only by the one that first read it."""
    trail = trail_of(tmp_path, run_id(1))
    (trail / run_id(1) / RECORD).write_text("{")

    def unsaved(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr("backlog_alerts.trail.audit.write_record", unsaved)
    site.render_trail(str(trail), tmp_path / "site")
    site.render_trail(str(trail), tmp_path / "site")
    assert "not JSON" in (tmp_path / "site" / "index.html").read_text()
    assert same_as_fresh(trail, tmp_path / "site", tmp_path)


def test_a_notebook_not_as_its_current_record_says_is_said_not_a_crash(tmp_path):
    """A record naming the notebook's current tag (planted, or the notebook swapped with its record
    rebuilt) over a notebook that is no notebook: the page is left out and said."""
    trail = trail_of(tmp_path, run_id(1))
    site.render_trail(str(trail), tmp_path / "site")  # builds the run's record
    folder = trail / run_id(1)
    (folder / "03_alert_check.ipynb").write_text("not a notebook")
    record = json.loads((folder / RECORD).read_text())
    record["sources"] = sources(storage.folder_tags(str(folder)))
    (folder / RECORD).write_text(json.dumps(record))
    site.render_trail(str(trail), tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    assert "03_alert_check.ipynb: not a notebook (not JSON, or not nbformat)" in index
    assert not (tmp_path / "site" / run_id(1) / "03_alert_check.html").exists()


def test_a_run_folder_removed_while_the_report_runs_is_said(tmp_path):
    trail = trail_of(tmp_path, run_id(1), run_id(1, 2))
    site_folder = tmp_path / "site"
    site.render_trail(str(trail), site_folder)
    write_run(trail, hand_built_run(run_id(1, 3)))  # the month's page is written again ...
    folders = run_folders(str(trail))
    shutil.rmtree(trail / run_id(1, 2))  # ... and a run on it is gone once the trail was listed
    site.render_trail(str(trail), site_folder, folders=folders)
    index = (site_folder / "index.html").read_text()
    assert f"{run_id(1, 2)}: its manifest.json cannot be read" in index
    assert not (site_folder / run_id(1, 2)).exists()
    assert same_as_fresh(trail, site_folder, tmp_path) is False  # a fresh report no longer lists it ...
    site.render_trail(str(trail), site_folder)
    assert same_as_fresh(trail, site_folder, tmp_path)  # ... nor does the next one
