"""Saving a notebook from JupyterLab leaves it as committed: one canonical form, written by the pre-save hook.

The Lab-style saves below are shaped on what JupyterLab 4 PUTs (seen in a browser trial): kernelspec and
language_info from the running kernel, `trusted`, `collapsed`, `scrolled`, `jupyter` and `execution`
cell metadata, outputs and execution counts, sources as strings.
"""

import copy
import json
import subprocess

import nbformat
import pytest
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jupyter_server.services.contents.filemanager import FileContentsManager
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from backlog_alerts.io.clean_notebooks import canonical_text
from backlog_alerts.run.lab import PRE_SAVE_HOOK
from backlog_alerts.trail.manifest import git_commit

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
COMMITTED = {path.name: path.read_text(encoding="utf-8") for path in NOTEBOOKS}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
stamps = st.datetimes().map(lambda moment: moment.isoformat() + "Z")
lab_cell_metadata = st.fixed_dictionaries(
    {},
    optional={
        "trusted": st.booleans(),
        "collapsed": st.booleans(),
        "scrolled": st.booleans() | st.just("auto"),
        "jupyter": st.fixed_dictionaries(
            {}, optional={"source_hidden": st.booleans(), "outputs_hidden": st.booleans()}
        ),
        "execution": st.fixed_dictionaries(
            {"iopub.execute_input": stamps, "iopub.status.busy": stamps, "shell.execute_reply": stamps}
        ),
        "jp-MarkdownHeadingCollapsed": st.just(True),
        "editable": st.booleans(),
        "tags": st.just([]),  # an empty tag list is no tag
        "vscode": json_values,
    },
)
lab_metadata = st.fixed_dictionaries(
    {
        "kernelspec": st.fixed_dictionaries(
            {
                "display_name": st.sampled_from(["Python 3 (ipykernel)", "Python 3", "venv"]),
                "language": st.just("python"),
                "name": st.sampled_from(["python3", "python"]),
            }
        ),
        "language_info": st.fixed_dictionaries(
            {"name": st.just("python")},
            optional={
                "version": st.sampled_from(["3.11.7", "3.12.3"]),
                "mimetype": st.just("text/x-python"),
                "codemirror_mode": st.just({"name": "ipython", "version": 3}),
                "pygments_lexer": st.just("ipython3"),
                "nbconvert_exporter": st.just("python"),
                "file_extension": st.just(".py"),
            },
        ),
    },
    optional={"widgets": json_values, "toc-autonumbering": st.booleans()},
)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
outputs = st.lists(
    st.one_of(
        st.builds(lambda text: new_output("stream", name="stdout", text=text), texts),
        st.builds(
            lambda text, n: new_output("execute_result", {"text/plain": text}, execution_count=n),
            texts,
            st.integers(1, 99),
        ),
        st.builds(
            lambda html: new_output("display_data", {"text/html": html, "text/plain": "<HTML>"}), texts
        ),
        st.builds(
            lambda value: new_output("error", ename="ValueError", evalue=value, traceback=[value]), texts
        ),
    ),
    max_size=3,
)


def lab_save(notebook, metadata, cells, source_as_string=True):
    """`notebook` as JupyterLab PUTs it: kernel metadata, per-cell view metadata, outputs, string sources."""
    saved = copy.deepcopy(notebook)
    saved["metadata"] = metadata
    for cell, (extra, cell_outputs, count) in zip(saved["cells"], cells, strict=False):
        cell["metadata"] = {**extra, **cell["metadata"]}  # the committed tags stay as they are
        if source_as_string and isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":
            cell.update(outputs=cell_outputs, execution_count=count)
    return saved


cell_states = st.lists(st.tuples(lab_cell_metadata, outputs, st.none() | st.integers(1, 999)), max_size=40)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_committed_notebook_is_in_canonical_form(path):
    assert canonical_text(nbformat.reads(COMMITTED[path.name], as_version=4)) == COMMITTED[path.name]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(COMMITTED)), metadata=lab_metadata, cells=cell_states)
def test_a_lab_save_through_jupyters_contents_manager_writes_the_committed_bytes(
    tmp_path, monkeypatch, name, metadata, cells
):
    """Jupyter server's own FileContentsManager, with the hook, writes what is committed, byte for byte."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))  # the notary's database
    (tmp_path / name).write_text(COMMITTED[name], encoding="utf-8")
    manager = FileContentsManager(root_dir=str(tmp_path), pre_save_hook=PRE_SAVE_HOOK)  # as `lab` sets it
    committed = json.loads(COMMITTED[name])
    model = {"type": "notebook", "format": "json", "content": lab_save(committed, metadata, cells)}
    manager.save(json.loads(json.dumps(model)), name)
    assert (tmp_path / name).read_text(encoding="utf-8") == COMMITTED[name]


@given(name=st.sampled_from(sorted(COMMITTED)), metadata=lab_metadata, cells=cell_states)
def test_canonical_text_of_a_lab_save_is_the_committed_text(name, metadata, cells):
    saved = lab_save(json.loads(COMMITTED[name]), metadata, cells, source_as_string=False)
    assert canonical_text(saved) == COMMITTED[name]


notebooks = st.builds(
    lambda metadata, sources, states: lab_save(
        new_notebook(
            cells=[
                new_markdown_cell(source) if markdown else new_code_cell(source, metadata={"tags": tags})
                for markdown, source, tags in sources
            ]
        ),
        metadata,
        states,
    ),
    lab_metadata,
    st.lists(
        st.tuples(
            st.booleans(), texts, st.lists(st.sampled_from(["parameters", "x"]), max_size=2, unique=True)
        ),
        max_size=5,
    ),
    cell_states,
)


@given(notebook=notebooks)
def test_canonicalizing_is_idempotent(notebook):
    once = canonical_text(notebook)
    assert canonical_text(nbformat.reads(once, as_version=4)) == once


@pytest.mark.parametrize("change", ["source", "markdown", "tag removed", "tag added"])
def test_a_change_to_a_source_a_markdown_cell_or_tags_stays_in_the_canonical_form(change):
    original = json.loads(COMMITTED["01_topic_setup.ipynb"])
    notebook = copy.deepcopy(original)
    code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    markdown = next(cell for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    if change == "source":
        code["source"].append("\nx = 1")
    elif change == "markdown":
        markdown["source"].append("\nOne more line.")
    elif change == "tag removed":
        code["metadata"]["tags"] = []
    else:
        markdown["metadata"]["tags"] = ["slow"]
    assert canonical_text(notebook) != canonical_text(original)


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_a_notebook_saved_without_the_hook_is_not_dirty_unless_its_source_changed(tmp_path):
    """A plain `jupyter lab` save (kernel metadata, cell view state, outputs) leaves the run's commit clean."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    path = repo / "notebooks" / "02_subscription_sync.ipynb"
    path.write_text(COMMITTED[path.name], encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first")
    head = git(repo, "rev-parse", "HEAD").strip()
    notebook = json.loads(COMMITTED[path.name])
    metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.7", "pygments_lexer": "ipython3"},
    }
    view = (
        {"trusted": True, "collapsed": True, "jupyter": {"outputs_hidden": True}},
        [new_output("stream", text="hi")],
        4,
    )
    saved = nbformat.from_dict(lab_save(notebook, metadata, [view] * len(notebook["cells"])))
    nbformat.write(saved, str(path))
    assert git(repo, "status", "--porcelain") != ""
    assert git_commit(repo) == head
    saved.cells[1].source += "\nx = 1"
    nbformat.write(saved, str(path))
    assert git_commit(repo) == f"{head}-dirty"
