"""The systemd timers in deploy/systemd/ start the service, on calendars that systemd-analyze (run as a
subprocess where this machine has it) accepts."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from helpers import DEPLOY, systemd_unit


@pytest.mark.parametrize(
    ("timer", "calendar"),
    [("backlog-alerts.timer", "*-*-02 07:00:00"), ("backlog-alerts-daily.timer", "*-*-* 07:30:00")],
)
def test_systemd_timers_start_that_service(timer, calendar):
    parsed = systemd_unit(timer)
    assert parsed["Timer"]["OnCalendar"] == calendar
    assert parsed["Timer"]["Persistent"] == "true"
    assert (DEPLOY / "systemd" / parsed["Timer"]["Unit"]).exists()
    assert parsed["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):  # systemd's own parser, where this machine has it
        checked = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
