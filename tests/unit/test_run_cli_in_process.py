"""`run_cli` in this process (tests/helpers.py): a call it cannot make leaves this process's environment
and working folder as they were, as a subprocess that failed to start would."""

import os

import pytest
from helpers import clean_env, run_cli

IN_PROCESS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "ONLY_FOR_THE_COMMAND": "1"}  # `audit`: in-process


@pytest.mark.parametrize("bad", ["cwd", "env"])
def test_a_call_that_cannot_start_leaves_this_processs_environment_and_folder(tmp_path, bad):
    before, folder = dict(os.environ), os.getcwd()
    env = {**clean_env(), **IN_PROCESS, **({"NOT_TEXT": tmp_path} if bad == "env" else {})}
    cwd = tmp_path / "missing" if bad == "cwd" else tmp_path
    with pytest.raises(FileNotFoundError if bad == "cwd" else TypeError):
        run_cli(["audit", "--help"], env, cwd=cwd)
    assert dict(os.environ) == before
    assert os.getcwd() == folder
