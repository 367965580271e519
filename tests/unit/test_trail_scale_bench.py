"""bench/trail_scale.py builds trails `audit` accepts: each copy's run id names its folder and is the only
one in its JSON files, its timestamps moved with it, its other files hard links, the runs in order."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "trail_scale.py"
SOURCE_ID = "20261205T150734.650831Z"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("trail_scale", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["trail_scale"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def source(tmp_path: Path) -> Path:
    run = tmp_path / "source" / SOURCE_ID
    run.mkdir(parents=True)
    manifest = {
        "run_id": SOURCE_ID,
        "started_at": "2026-12-05T15:07:34.694+00:00",
        "output_location": f"/outputs/{SOURCE_ID}",
        "notebooks": [{"notebook": "01_topic_setup.ipynb", "ended_at": "2026-12-05T15:07:35.567+00:00"}],
        "report_period": "2019-02",
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "record.json").write_text(json.dumps({SOURCE_ID: {"at": "2026-12-06T00:00:01Z"}}))
    (run / "01_topic_setup.ipynb").write_text(f'{{"run_id": "{SOURCE_ID}"}}')
    return run


def test_a_trail_of_three_then_five(bench, source: Path, tmp_path: Path) -> None:
    bench.build_trail(source, tmp_path / "t3", 3)
    bench.build_trail(source, tmp_path / "t5", 5, smaller=tmp_path / "t3")
    runs = sorted(p.name for p in (tmp_path / "t5").iterdir())
    # one a day, the newest the day before the source, across a month's end
    assert runs == ["20261130T150734.650831Z"] + [f"202612{d:02d}T150734.650831Z" for d in (1, 2, 3, 4)]
    assert sorted(p.name for p in (tmp_path / "t3").iterdir()) == runs[2:]
    for run in runs:
        folder = tmp_path / "t5" / run
        manifest = json.loads((folder / "manifest.json").read_text())
        day = f"{run[:4]}-{run[4:6]}-{run[6:8]}"
        assert manifest["run_id"] == run and manifest["output_location"] == f"/outputs/{run}"
        assert manifest["started_at"] == f"{day}T15:07:34.694+00:00"
        assert manifest["notebooks"][0]["ended_at"] == f"{day}T15:07:35.567+00:00"
        assert manifest["report_period"] == "2019-02"  # a period is not a timestamp
        assert SOURCE_ID not in (folder / "record.json").read_text()
        assert (folder / "01_topic_setup.ipynb").samefile(source / "01_topic_setup.ipynb")
    # the linked part of the bigger trail is the smaller one's files, not copies
    assert (tmp_path / "t5" / runs[-1] / "manifest.json").samefile(
        tmp_path / "t3" / runs[-1] / "manifest.json"
    )


def test_one_more_run_is_the_newest(bench, source: Path, tmp_path: Path) -> None:
    bench.build_trail(source, tmp_path / "t", 3)
    added = bench.copy_run(source, tmp_path / "t", 0)
    assert added == SOURCE_ID and max(p.name for p in (tmp_path / "t").iterdir()) == added


def tags(trail: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every file's inode, size, mtime and ctime: what a site's cache may tell a changed run by."""
    return {
        str(f): (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        for f in trail.rglob("*")
        if f.is_file() and (st := f.stat())
    }


def test_one_more_run_added_and_removed_changes_no_other_file(bench, source: Path, tmp_path: Path) -> None:
    bench.build_trail(source, tmp_path / "t", 3)
    before = tags(tmp_path / "t")
    remove = bench.local_trail(tmp_path / "t", source, {}).add_run()
    assert len(list((tmp_path / "t").iterdir())) == 4
    assert {f: t for f, t in tags(tmp_path / "t").items() if f in before} == before
    remove()
    assert tags(tmp_path / "t") == before


def test_disk_counts_hard_links_once(bench, source: Path, tmp_path: Path) -> None:
    (source / "01_topic_setup.ipynb").write_bytes(b"x" * 1_000_000)
    bench.build_trail(source, tmp_path / "t", 3)
    assert bench.disk_bytes(tmp_path / "t") < 1_000_000 + 100_000
