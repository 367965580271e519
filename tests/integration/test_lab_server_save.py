"""Saving from JupyterLab through a real Jupyter server leaves `git status` clean (`backlog-alerts lab`'s hook).

The server is started by `lab_command` (the command line `backlog-alerts lab` runs) on a git copy of
`notebooks/`; each notebook is PUT as JupyterLab 4 sends it after a run: the kernel's own outputs and
language_info, the kernelspec's display name, `trusted`, `collapsed`, `jupyter` and `execution` metadata.
"""

import copy
import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime

import nbformat
import pytest
import requests
from helpers import ROOT
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from backlog_alerts.run.lab import lab_command
from backlog_alerts.trail.manifest import git_commit

pytestmark = pytest.mark.integration
TOKEN = "lab-save-clean"


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_outputs():
    """Outputs and language_info from a real kernel: a stream, a result, rich display and an error."""
    cells = ["print('saved')", "1 + 1", "from IPython.display import HTML\nHTML('<b>x</b>')", "1 / 0"]
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=60).execute()
    return [cell.outputs for cell in notebook.cells], notebook.metadata.language_info


def as_lab_saves(notebook, kernelspec, language_info, outputs):
    """The notebook as JupyterLab PUTs it after running every code cell, with some output collapsed."""
    saved = copy.deepcopy(notebook)
    saved["metadata"] = {"kernelspec": kernelspec, "language_info": language_info}
    stamp = datetime.now(UTC).isoformat()
    code = [cell for cell in saved["cells"] if cell["cell_type"] == "code"]
    for count, cell in enumerate(code, 1):
        cell["metadata"] |= {
            "trusted": True,
            "execution": dict.fromkeys(["iopub.status.busy", "shell.execute_reply"], stamp),
        }
        cell.update(outputs=outputs[count % len(outputs)], execution_count=count)
    code[0]["metadata"] |= {"collapsed": True, "scrolled": True, "jupyter": {"outputs_hidden": True}}
    for cell in saved["cells"]:
        cell["source"] = "".join(cell["source"])
    return saved


@pytest.fixture
def server(tmp_path):
    """A Jupyter server as `backlog-alerts lab` starts it, on a committed copy of notebooks/."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    for path in [
        *(ROOT / "notebooks").glob("*.ipynb"),
        ROOT / ".gitignore",
    ]:  # it ignores .ipynb_checkpoints/
        shutil.copy(path, repo / path.relative_to(ROOT))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "notebooks")
    port = free_port()
    env = {
        **os.environ,
        **{f"JUPYTER_{kind}_DIR": str(tmp_path / kind.lower()) for kind in ("RUNTIME", "DATA", "CONFIG")},
    }
    command = lab_command(
        repo / "notebooks", ["--no-browser", f"--port={port}", f"--IdentityProvider.token={TOKEN}"]
    )
    with open(tmp_path / "lab.log", "w") as log:
        process = subprocess.Popen(
            command, env=env, start_new_session=True, stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{api}/status", params={"token": TOKEN}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail(f"Jupyter did not start: {(tmp_path / 'lab.log').read_text()}")
        yield repo, api
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_saving_run_notebooks_through_the_lab_server_leaves_git_status_clean(server):
    repo, api = server
    session = requests.Session()
    session.headers["Authorization"] = f"token {TOKEN}"
    outputs, language_info = kernel_outputs()
    specs = session.get(f"{api}/kernelspecs", timeout=10).json()
    kernelspec = {
        "name": "python3",
        "language": "python",
        "display_name": specs["kernelspecs"]["python3"]["spec"]["display_name"],
    }
    names = sorted(path.name for path in (repo / "notebooks").glob("*.ipynb"))
    assert len(names) == 4
    for name in names:
        committed = (repo / "notebooks" / name).read_bytes()
        model = session.get(f"{api}/contents/{name}", timeout=10).json()
        for content in (model["content"], as_lab_saves(model["content"], kernelspec, language_info, outputs)):
            saved = session.put(
                f"{api}/contents/{name}",
                json={"type": "notebook", "format": "json", "content": content},
                timeout=30,
            )
            assert saved.status_code == 200, saved.text
            assert (repo / "notebooks" / name).read_bytes() == committed, name
            assert git(repo, "status", "--porcelain") == "", name

    # A changed source is saved, and shows, in git and in the run's commit.
    name = names[0]
    content = session.get(f"{api}/contents/{name}", timeout=10).json()["content"]
    content["cells"][1]["source"] += "\nx = 1"
    session.put(
        f"{api}/contents/{name}", json={"type": "notebook", "format": "json", "content": content}, timeout=30
    )
    assert git(repo, "status", "--porcelain") == f" M notebooks/{name}\n"
    assert git_commit(repo).endswith("-dirty")
    assert nbformat.read(str(repo / "notebooks" / name), as_version=4).cells[1].source.endswith("x = 1")
