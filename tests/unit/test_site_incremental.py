"""`report` renders a run's pages once, and again only when the run changed: over any sequence of runs
added (into any month, out of order), changed, removed (one, or the oldest by retention), still running,
finished or killed, of records rebuilt by `audit` and notebooks replaced, and of the site's own memory
lost, damaged or planted, the site it updates is the site it would write from scratch, byte for byte, and
only new, changed or running runs are rendered. The memory of another trail's site is refused."""

import json
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import hand_built_run, write_run
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from backlog_alerts.trail import html as site
from backlog_alerts.trail.audit import load_run
from backlog_alerts.trail.record import RECORD
from backlog_alerts.trail.site_cache import STATE, OtherTrail

LONG_ERROR = "ValueError: " + "the report's column 'Backlog Count' is not a number " * 12


def pages(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class Exporter:
    """nbconvert's place, for speed: a notebook's page is its JSON (the same notebook, the same page)."""

    def from_notebook_node(self, notebook):
        return json.dumps(notebook, sort_keys=True), {}


def a_run(run_id: str, kind: str) -> dict:
    """A hand-built run of a kind: a run that succeeded, failed with a long error, a backtest."""
    if kind == "failed":
        return hand_built_run(run_id, status="failed", error=LONG_ERROR)
    run = hand_built_run(run_id)
    if kind == "backtest":
        run["notebooks"] = {"04_backtest": {"facts": {}}}
    return run


class SiteMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.root = Path(tempfile.mkdtemp())
        self.trail, self.site = self.root / "trail", self.root / "site"
        self.trail.mkdir()
        self.made, self.changed, self.rendered = 0, set(), []
        self.running: dict[str, subprocess.Popen] = {}
        self.junk = False
        self.forgot = True  # nothing rendered yet: every run is new
        real = site._render_run

        def spy(location, destination, run_id, *args):
            if destination == self.site:
                self.rendered.append(run_id)
            return real(location, destination, run_id, *args)

        site._render_run = spy
        self.real = real
        self.exporter = site.notebook_exporter
        site.notebook_exporter = lambda with_code=False: Exporter()  # what a page holds is not the point

    def teardown(self):
        for run_id in list(self.running):
            self._stop(run_id)
        site._render_run, site.notebook_exporter = self.real, self.exporter
        shutil.rmtree(self.root, ignore_errors=True)

    def run_ids(self):
        return sorted(p.name for p in self.trail.iterdir())

    def _manifest(self, run_id: str, **changes) -> None:
        path = self.trail / run_id / "manifest.json"
        path.write_text(json.dumps(json.loads(path.read_text()) | changes))
        self.changed.add(run_id)

    @rule(
        runs=st.lists(
            st.tuples(st.integers(1, 5), st.integers(1, 28), st.sampled_from(["ok", "failed", "backtest"])),
            min_size=1,
            max_size=4,
        )
    )
    def add_runs(self, runs):
        """Runs into any month, older ones included, in any order (a trail copied in, a late upload)."""
        for month, day, kind in runs:
            self.made += 1
            run_id = f"2026{month:02d}{day:02d}T00{self.made:04d}.000000Z"
            write_run(self.trail, a_run(run_id, kind))
            self.changed.add(run_id)

    @rule(data=st.data(), how=st.sampled_from(["failed", "succeeded", "refused", "running", "stopped"]))
    def change_run(self, data, how):
        """A run's manifest rewritten with another status; a run still running (this host, a live
        process: rendered by every report); a running run that ended: finished (its manifest written)
        or killed (its process gone, no file changed: read as interrupted from then on)."""
        if how == "stopped":
            if self.running:
                run_id = data.draw(st.sampled_from(sorted(self.running)))
                if data.draw(st.booleans()):
                    self._manifest(run_id, status="succeeded")
                else:
                    self.running[run_id].kill()
                    self.running[run_id].wait()
                    self.changed.add(run_id)  # rendered once more, as interrupted
                del self.running[run_id]
            return
        if not self.run_ids():
            return
        run_id = data.draw(st.sampled_from(self.run_ids()))
        self._stop(run_id)
        if how == "running":
            self.running[run_id] = subprocess.Popen(["sleep", "600"])
            self._manifest(run_id, status="running", host=socket.gethostname(), pid=self.running[run_id].pid)
        else:
            self._manifest(run_id, status=how, error=f"now {how}!")

    def _stop(self, run_id: str) -> None:
        if run_id in self.running:
            self.running.pop(run_id).kill()

    @rule(data=st.data(), keep=st.none() | st.integers(0, 6))
    def remove_runs(self, data, keep):
        """One run removed, or by retention the oldest, the newest `keep` kept: whole months go."""
        ids = self.run_ids()
        gone = (
            ids[: max(len(ids) - keep, 0)]
            if keep is not None
            else [data.draw(st.sampled_from(ids))]
            if ids
            else []
        )
        for run_id in gone:
            shutil.rmtree(self.trail / run_id)
            self.changed.discard(run_id)
            self._stop(run_id)

    @rule(data=st.data(), how=st.sampled_from(["audit rebuilds", "junk", "notebook replaced"]))
    def touch_files(self, data, how):
        """What `audit` and people do to a run folder: its record removed and rebuilt, a record damaged,
        a notebook put in its place again (same content, a new file)."""
        if not self.run_ids():
            return
        run_id = data.draw(st.sampled_from(self.run_ids()))
        folder = self.trail / run_id
        if how == "audit rebuilds":
            (folder / RECORD).unlink(missing_ok=True)
            load_run(str(self.trail), run_id)
        elif how == "junk":
            (folder / RECORD).write_text("{")
            self.junk = True  # the next report says so, and rebuilds it: a report after it does not
        else:
            notebook = sorted(folder.glob("*.ipynb"))[0]
            text = notebook.read_bytes()
            notebook.unlink()
            notebook.write_bytes(text)
        self.changed.add(run_id)

    @rule(
        damage=st.sampled_from(
            ["delete", "junk", "planted row", "planted run id", "old format", "other trail"]
        )
    )
    def damage_memory(self, damage):
        path = self.site / STATE
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):  # none yet, or damaged already
            return
        entries = data.get("runs", {})
        if damage == "delete":
            path.unlink()
        elif damage == "junk":
            path.write_text('{"format": 2, "runs": [')
        elif damage == "planted row" and entries:
            run_id = next(iter(entries))
            entries[run_id]["row"] = "<tr><td><script>alert(1)</script>all is well</td></tr>"
            path.write_text(json.dumps(data))
        elif damage == "planted run id" and entries:
            entries["../../x"] = next(iter(entries.values()))
            path.write_text(json.dumps(data))
        elif damage == "other trail":
            self.other_trail()
            return
        elif damage == "old format":
            path.write_text(json.dumps(data | {"format": 1}))
        else:
            return
        self.forgot = True

    def other_trail(self):
        """Another trail into the same folder: refused, the site left as it was (once its memory, lost or
        damaged, no longer says whose it is, it is written afresh)."""
        try:
            if json.loads((self.site / STATE).read_text())["trail"] != str(self.trail):
                return
        except (OSError, ValueError, KeyError, TypeError):
            return
        before = pages(self.site)
        with pytest.raises(OtherTrail, match="another trail"):
            site.render_trail(str(self.root / "elsewhere"), self.site)
        assert pages(self.site) == before

    def fresh(self) -> dict[str, bytes]:
        fresh = self.root / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        site.render_trail(str(self.trail), fresh)
        return pages(fresh)

    @rule()
    def render(self):
        self.rendered.clear()
        site.render_trail(str(self.trail), self.site)
        expected = set(self.run_ids()) if self.forgot else self.changed | set(self.running)
        assert set(self.rendered) == expected  # only what is new, changed or running, unless forgotten
        updated, fresh = pages(self.site), self.fresh()
        if self.junk:  # the damaged record this report said and rebuilt is sound for the fresh one
            updated.pop("index.html"), fresh.pop("index.html")
        assert updated == fresh
        self.rendered.clear()
        site.render_trail(str(self.trail), self.site)  # nothing new: the same site
        assert set(self.rendered) == set(self.running)
        assert pages(self.site) == self.fresh()
        assert "<script" not in (self.site / "index.html").read_text()
        self.changed, self.forgot = set(), False
        # a running run's damaged record is said on every report until the run ends and it is rebuilt
        self.junk = any(not _json(self.trail / run_id / RECORD) for run_id in self.run_ids())

    @invariant()
    def nothing_written_beside_the_site_and_the_trail(self):
        assert {p.name for p in self.root.iterdir()} <= {"trail", "site", "fresh"}


def _json(path: Path) -> bool:
    """Whether a record is there to be read and not junk (an absent one is built, not said)."""
    try:
        json.loads(path.read_text())
    except FileNotFoundError:
        return True
    except ValueError:
        return False
    return True


SiteMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=20, deadline=None)
TestIncrementalSite = SiteMachine.TestCase
