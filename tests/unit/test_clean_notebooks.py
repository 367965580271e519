"""Notebooks saved from JupyterLab, and the run's `-dirty` flag, ignore outputs: the code is what counts."""

import subprocess

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from backlog_alerts.io.clean_notebooks import pre_save_hook
from backlog_alerts.run.lab import lab_command
from backlog_alerts.trail.manifest import git_commit


def ran_notebook(source="x = 1\nx"):
    """A notebook as JupyterLab sends it after a run: outputs and execution counts in its code cell."""
    cell = new_code_cell(
        source, execution_count=3, outputs=[new_output("execute_result", {"text/plain": "1"})]
    )
    return new_notebook(cells=[new_markdown_cell("# Title"), cell])


def test_the_pre_save_hook_strips_outputs_and_execution_counts_of_code_cells():
    model = {"type": "notebook", "content": ran_notebook()}
    pre_save_hook(model=model, path="01_topic_setup.ipynb", contents_manager=None)
    markdown, code = model["content"]["cells"]
    assert (code["outputs"], code["execution_count"], code["source"]) == ([], None, "x = 1\nx")
    assert markdown["source"] == "# Title"


def test_the_pre_save_hook_leaves_other_files_alone():
    model = {"type": "file", "content": "x = 1\n", "format": "text"}
    pre_save_hook(model=model, path="notes.py", contents_manager=None)
    assert model["content"] == "x = 1\n"


def test_lab_saves_through_the_hook_and_runs_headless_as_root(monkeypatch, tmp_path):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    command = lab_command(tmp_path, ["--", "--port", "9999"])
    assert "--ContentsManager.pre_save_hook=backlog_alerts.io.clean_notebooks.pre_save_hook" in command
    assert command[-4:] == ["--allow-root", "--no-browser", "--port", "9999"]
    assert lab_command(tmp_path, ["--no-browser"]).count("--no-browser") == 1


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def committed_repo(tmp_path):
    """A git repository with one notebook (no outputs) and one module committed."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1\nx")]), str(repo / "notebooks" / "01.ipynb"))
    (repo / "module.py").write_text("X = 1\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first")
    return repo, git(repo, "rev-parse", "HEAD").strip()


def test_a_notebook_changed_only_in_outputs_does_not_make_the_commit_dirty(tmp_path):
    repo, head = committed_repo(tmp_path)
    path = repo / "notebooks" / "01.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    notebook.cells[0].update(execution_count=1, outputs=[new_output("execute_result", {"text/plain": "1"})])
    nbformat.write(notebook, str(path))
    assert git(repo, "status", "--porcelain") != ""
    assert git_commit(repo / "notebooks") == head


def test_a_changed_cell_source_or_module_makes_the_commit_dirty(tmp_path):
    repo, head = committed_repo(tmp_path)
    nbformat.write(ran_notebook("x = 2\nx"), str(repo / "notebooks" / "01.ipynb"))
    assert git_commit(repo) == f"{head}-dirty"
    git(repo, "checkout", "--", "notebooks")
    assert git_commit(repo) == head
    (repo / "module.py").write_text("X = 2\n")
    assert git_commit(repo) == f"{head}-dirty"
