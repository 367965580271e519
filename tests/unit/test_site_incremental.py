"""`report` renders a run's pages once, and again only when the run changed: over any sequence of runs
added, changed and removed, and of the site's own memory lost or damaged, the site it updates is the site
it would write from scratch, and only new or changed runs are rendered."""

import json
import shutil
import tempfile
from pathlib import Path

from helpers import hand_built_run, write_run
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from backlog_alerts.trail import html as site
from backlog_alerts.trail.site_cache import STATE


def pages(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class Exporter:
    """nbconvert's place, for speed: a notebook's page is its JSON (the same notebook, the same page)."""

    def from_notebook_node(self, notebook):
        return json.dumps(notebook, sort_keys=True), {}


class SiteMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.root = Path(tempfile.mkdtemp())
        self.trail, self.site = self.root / "trail", self.root / "site"
        self.trail.mkdir()
        self.made, self.changed, self.rendered = 0, set(), []
        self.forgot = True  # nothing rendered yet: every run is new
        self.removed = False
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
        site._render_run, site.notebook_exporter = self.real, self.exporter
        shutil.rmtree(self.root, ignore_errors=True)

    def run_ids(self):
        return sorted(p.name for p in self.trail.iterdir())

    @rule(month=st.integers(1, 4))
    def add_run(self, month):
        self.made += 1
        run_id = f"2026{month:02d}{self.made:02d}T000000.000000Z"
        write_run(self.trail, hand_built_run(run_id))
        self.changed.add(run_id)

    @rule(data=st.data(), status=st.sampled_from(["failed", "succeeded", "refused"]))
    def change_run(self, data, status):
        if not self.run_ids():
            return
        run_id = data.draw(st.sampled_from(self.run_ids()))
        manifest = self.trail / run_id / "manifest.json"
        document = json.loads(manifest.read_text())
        manifest.write_text(json.dumps(document | {"status": status, "error": f"now {status}!"}))
        self.changed.add(run_id)

    @rule(data=st.data())
    def remove_run(self, data):
        if not self.run_ids():
            return
        run_id = data.draw(st.sampled_from(self.run_ids()))
        shutil.rmtree(self.trail / run_id)
        self.changed.discard(run_id)
        self.removed = True

    @rule(damage=st.sampled_from(["delete", "junk", "other trail"]))
    def damage_memory(self, damage):
        if not (self.site / STATE).exists():
            return
        if damage == "delete":
            (self.site / STATE).unlink()
        elif damage == "junk":
            (self.site / STATE).write_text('{"format": 1, "runs": [')
        elif not self.forgot:
            data = json.loads((self.site / STATE).read_text())
            (self.site / STATE).write_text(json.dumps(data | {"trail": "/elsewhere"}))
        self.forgot = True

    @rule()
    def render(self):
        self.rendered.clear()
        site.render_trail(str(self.trail), self.site)
        expected = set(self.run_ids()) if self.forgot else self.changed
        assert set(self.rendered) == expected  # only what is new or changed, unless the memory was lost
        self.changed, self.forgot, self.removed = set(), False, False
        fresh = self.root / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        site.render_trail(str(self.trail), fresh)
        assert pages(self.site) == pages(fresh)

    @invariant()
    def only_run_pages_of_the_trail(self):
        if (self.site / STATE).exists() and not (self.forgot or self.changed or self.removed):
            shown = {p.name for p in self.site.iterdir() if p.is_dir()}
            assert shown == set(self.run_ids())


SiteMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=10, deadline=None)
TestIncrementalSite = SiteMachine.TestCase
