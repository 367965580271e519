"""One run at a time per output location: a second run waits or stops with who holds the lock."""

import json
import socket
import subprocess
import threading
import time

import boto3
import pytest
from helpers import clean_env, params_file, run_cli

from backlog_alerts.io import emulator
from backlog_alerts.trail.lock import LOCK_NAME, RunLockBusy, run_lock


@pytest.fixture(params=["local", "s3"])
def location(request, tmp_path, aws_endpoint):
    if request.param == "local":
        return str(tmp_path / "out")
    boto3.client("s3").create_bucket(Bucket="lock-bucket")
    return "s3://lock-bucket/runs"


def test_a_second_run_is_told_who_holds_the_lock(location):
    with run_lock(location) as held:
        held.claim("20261128T101010.000001Z")
        with (
            pytest.raises(
                RunLockBusy, match=r"another run is in progress \(run id 20261128T101010.000001Z, started at "
            ),
            run_lock(location, wait=0),
        ):
            pass
    with run_lock(location) as again:  # released at the end of the first run
        again.claim("next")


def test_a_second_run_waits_for_the_first_to_finish(location):
    released = threading.Event()

    def hold():
        with run_lock(location) as held:
            held.claim("first")
            time.sleep(1.5)
            released.set()  # set while still held: set after, it raced the waiter taking the lock

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.5)
    with run_lock(location, wait=30):
        assert released.is_set()
    holder.join()


def test_a_stale_s3_lock_from_a_killed_run_is_taken_over(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lock-bucket")
    dead = subprocess.Popen(["true"])
    dead.wait()
    holder = {
        "run_id": "killed-run",
        "started_at": "2026-11-28T10:00:00.000+00:00",
        "host": socket.gethostname(),
        "pid": dead.pid,
        "status": "running",
    }
    s3.put_object(Bucket="lock-bucket", Key=f"runs/{LOCK_NAME}", Body=json.dumps(holder).encode())
    with run_lock("s3://lock-bucket/runs", wait=0) as lock:
        lock.claim("new-run")
        body = json.loads(s3.get_object(Bucket="lock-bucket", Key=f"runs/{LOCK_NAME}")["Body"].read())
        assert body["run_id"] == "new-run"
    assert "Contents" not in s3.list_objects_v2(Bucket="lock-bucket", Prefix=f"runs/{LOCK_NAME}")


def test_the_runner_exits_3_when_another_run_holds_the_lock(aws_endpoint, tmp_path):
    out = tmp_path / "out"
    params = params_file(tmp_path, lock_wait=0, output_dir=str(out))
    with run_lock(str(out)) as held:
        held.claim("20261128T101010.000001Z")
        result = run_cli(
            ["run", "--params", str(params)], emulator.emulator_environ(aws_endpoint, clean_env())
        )
    assert result.returncode == 3
    assert "another run is in progress (run id 20261128T101010.000001Z" in result.stderr
    assert [p.name for p in out.iterdir() if p.is_dir()] == []
