"""Loaded by every Python process started with tests/faults on PYTHONPATH (runner, papermill, kernel)."""

import os

if os.environ.get("BACKLOG_ALERTS_FAULTS"):
    import aws_faults

    aws_faults.install_everywhere(os.environ["BACKLOG_ALERTS_FAULTS"])
