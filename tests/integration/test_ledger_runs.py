"""The alert ledger through `backlog-alerts run` on the emulator: a lost, restored or moved state, two
cities in one account, a report replaced mid-run, and every recovery step a notice names, followed.

The directors' inboxes are SQS queues on the topics; what reached them is what the tests compare.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import time

import boto3
import pytest
from helpers import CLI, ROOT, clean_env, drain, reset_emulator, run_cli, subscribe_queue
from helpers import counts_report as report
from helpers import params_file as write_params

from backlog_alerts.io import emulator
from backlog_alerts.sync.topics import ensure_topics
from backlog_alerts.trail.lock import run_lock

pytestmark = pytest.mark.integration
TOPICS = ("trash", "streets", "ops")


@pytest.fixture
def inboxes(sns, sqs):
    """A queue on each topic of the default namespace, made before the first run (which adopts them)."""
    topics = {
        t.department: t.arn
        for t in ensure_topics(sns, {"trash": "", "streets": ""}, ops_topic="backlog_alerts_ops")
    }
    return {d: subscribe_queue(sqs, sns, topics[d], f"inbox-{d}") for d in TOPICS}


def subjects(sqs, inboxes, department):
    return sorted(m["Subject"] for m in drain(sqs, inboxes[department]))


def run(env, params, *args):
    result = run_cli(["run", "--params", str(params), *args], env)
    return result


def test_a_lost_or_restored_state_is_rebuilt_from_the_trail_and_nothing_goes_out_twice(
    aws_endpoint, sqs, inboxes, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    out = tmp_path / "out"
    params = write_params(tmp_path / "city", state_uri="", report_uri=report(tmp_path, "2019-02"))
    assert run(env, params, "--output-dir", str(out)).returncode == 0
    state = tmp_path / "city" / "state" / "alert_state.json"
    backup = state.read_bytes()
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 163 > 100"]
    assert subjects(sqs, inboxes, "trash") == ["[WARNING] Illegal Dumping backlog 47 > 30"]

    march = write_params(tmp_path / "city", state_uri="", report_uri=report(tmp_path, "2019-03", 250, 47))
    assert run(env, march, "--output-dir", str(out)).returncode == 0
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 250 > 100"]
    assert subjects(sqs, inboxes, "trash") == ["[WARNING] Illegal Dumping backlog 47 > 30"]

    state.write_bytes(backup)  # last week's copy put back
    restored = run(env, march, "--output-dir", str(out))
    assert restored.returncode == 0, restored.stderr
    assert (
        "was behind what topic(s)" in restored.stdout
        and "rebuilt from 2 run(s) of the trail" in restored.stdout
    )
    state.unlink()  # deleted
    deleted = run(env, march, "--output-dir", str(out))
    assert deleted.returncode == 0, deleted.stderr
    assert "was missing, but the topics and the trail at" in deleted.stdout
    assert all(subjects(sqs, inboxes, d) == [] for d in ("streets", "trash")), "nothing went out twice"

    # The topics carry the deployment and their last alert, as the AWS CLI shows them.
    arn = json.loads(
        subprocess.run(
            ["aws", "sns", "list-topics", "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["Topics"]
    streets = next(t["TopicArn"] for t in arn if t["TopicArn"].endswith(":streets_notifications"))
    tags = json.loads(
        subprocess.run(
            ["aws", "sns", "list-tags-for-resource", "--resource-arn", streets, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["Tags"]
    marks = {t["Key"]: t["Value"] for t in tags}
    assert marks["backlog-alerts:deployment"] == json.loads(state.read_text())["deployment"]
    assert marks["backlog-alerts:last-send"].startswith("2019-03 warning ")


def test_the_state_stays_put_whatever_the_output_folder_and_an_old_one_beside_the_runs_moves(
    aws_endpoint, sqs, inboxes, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    cron_out, hand_out = tmp_path / "cron-out", tmp_path / "elsewhere" / "out"
    cron_out.mkdir()
    hand_out.mkdir(parents=True)
    old = {
        "version": 1,
        "rules": {
            "potholes": {"status": "firing", "count": 163, "report_key": "2019-02", "message_id": "m-old"}
        },
        "latest_period": "2019-02",
    }
    (cron_out / "alert_state.json").write_text(json.dumps(old))  # where an older version kept it
    params = write_params(tmp_path / "city", state_uri="")
    first = run(env, params, "--output-dir", str(cron_out))
    assert first.returncode == 0, first.stderr
    assert f"the state beside the run folders ({cron_out}/alert_state.json) was moved to" in first.stdout
    assert not (cron_out / "alert_state.json").exists()
    assert subjects(sqs, inboxes, "streets") == [], "the old state's February alert is still known"
    assert subjects(sqs, inboxes, "trash") == ["[WARNING] Illegal Dumping backlog 47 > 30"]
    by_hand = run_cli(["run", "--params", str(params)], env, cwd=tmp_path / "elsewhere")  # outputs/ here
    assert by_hand.returncode == 0, by_hand.stderr
    again = run(env, params, "--output-dir", str(hand_out))
    assert again.returncode == 0 and "suppressed" in again.stdout
    assert all(subjects(sqs, inboxes, d) == [] for d in ("streets", "trash"))


def test_two_cities_in_one_account_never_touch_each_others_topics(aws_endpoint, sns, sqs, inboxes, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    first = write_params(tmp_path / "sandiego", state_uri="", output_dir=str(tmp_path / "sd-out"))
    assert run(env, first).returncode == 0
    drain(sqs, inboxes["streets"]), drain(sqs, inboxes["trash"])
    contacts = tmp_path / "nyc-contacts.csv"
    contacts.write_text("Name,Email,Phone,Department\nAna Ortiz,ana.ortiz@example.gov,,streets\n")
    second = write_params(
        tmp_path / "nyc", state_uri="", contacts_uri=str(contacts), output_dir=str(tmp_path / "nyc-out")
    )
    before = sorted(s["Endpoint"] for s in sns.list_subscriptions()["Subscriptions"])
    refused = run(env, second)
    assert refused.returncode == 2
    (line,) = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    sd = json.loads((tmp_path / "sandiego" / "state" / "alert_state.json").read_text())["deployment"]
    assert f"carry deployment {sd}, alert state " in line and "names no deployment yet" in line
    assert "namespace no other deployment uses" in line and "Nothing was changed" in line
    assert sorted(s["Endpoint"] for s in sns.list_subscriptions()["Subscriptions"]) == before
    assert all(drain(sqs, inboxes[d]) == [] for d in TOPICS), "the other city's directors heard nothing"

    # The first way forward the refusal names: topics of its own, by a namespace.
    own = write_params(
        tmp_path / "nyc",
        "namespaced.yaml",
        state_uri="",
        contacts_uri=str(contacts),
        output_dir=str(tmp_path / "nyc-out"),
        namespace="nyc",
    )
    assert run(env, own).returncode == 0
    names = {t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]}
    assert {"nyc_streets_notifications", "nyc_trash_notifications", "nyc_backlog_alerts_ops"} <= names
    assert all(drain(sqs, inboxes[d]) == [] for d in TOPICS)

    # The second: hand the plain topics over on purpose; then the first city is refused on them.
    command = re.search(r"backlog-alerts topics adopt --params (\S+)", line)
    adopt = run_cli(["topics", "adopt", "--params", command.group(1)], env)
    assert adopt.returncode == 0, adopt.stderr
    assert f"topic streets_notifications: was {sd}, now deployment d-" in adopt.stdout
    handed = run(env, second)
    assert handed.returncode == 1, handed.stderr
    assert "SyncGuardError: the plan would remove more than 50% of the subscriptions" in handed.stderr
    assert run(env, first).returncode == 2


def test_a_report_replaced_mid_run_is_not_what_the_run_uses(aws_endpoint, sqs, inboxes, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    path = report(tmp_path, "2019-02")
    out = tmp_path / "out"
    params = write_params(tmp_path, report_uri=path, output_dir=str(out))
    process = subprocess.Popen(
        [*CLI, "run", "--params", str(params)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(out.glob("*/manifest.json")) and time.monotonic() < deadline:
        time.sleep(0.02)  # the run folder is made right after the pre-run check read the inputs
    report(tmp_path, "2019-02", pothole=40, dumping=5)  # replaced before notebook 3 reads it
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 163 > 100"]
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    notebook = (folder / "03_alert_check.ipynb").read_text()
    assert "replaced since the pre-run check" not in notebook and "pinned_inputs" in notebook
    assert not list((tmp_path).glob("backlog-alerts-inputs-*"))


def test_every_recovery_step_a_notice_names_works_when_followed(aws_endpoint, sns, sqs, inboxes, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    contacts = tmp_path / "contacts.csv"  # nobody for streets yet: its alerts reach nobody
    contacts.write_text("Name,Email,Phone,Department\nDana Whitfield,dana.whitfield@example.gov,,trash\n")
    march = write_params(
        tmp_path,
        state_uri="",
        contacts_uri=str(contacts),
        report_uri=report(tmp_path, "2019-03"),
        output_dir=str(tmp_path / "out"),
    )
    assert run(env, march).returncode == 0
    drain(sqs, inboxes["streets"]), drain(sqs, inboxes["trash"]), drain(sqs, inboxes["ops"])

    # March was checked by mistake: February's report is stale, and ops are told how to undo it.
    feb = write_params(
        tmp_path,
        state_uri="",
        contacts_uri=str(contacts),
        report_uri=report(tmp_path, "2019-02", 170, 48),
        output_dir=str(tmp_path / "out"),
    )
    assert "report: stale, period 2019-02" in run(env, feb).stdout
    notices = [m for m in drain(sqs, inboxes["ops"]) if "stale" in m["Subject"]]
    (stale,) = notices
    forget = re.search(r"backlog-alerts state forget (--params \S+ --period 2019-03)", stale["Message"])
    followed = run_cli(["state", "forget", *forget.group(1).split()], env)
    assert followed.returncode == 0 and "2019-03 is no longer a checked period" in followed.stdout
    kept = run_cli(["state", "show", *forget.group(1).split()[:2]], env).stdout
    assert "counts kept: none" in kept  # March's counts went with March: they were a mistake too
    assert run(env, feb).returncode == 0
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 170 > 100"]
    assert subjects(sqs, inboxes, "trash") == ["[WARNING] Illegal Dumping backlog 48 > 30"]

    # An alert that reached nobody: the coverage notice says how to send it again once someone hears.
    unheard = next(m for m in drain(sqs, inboxes["ops"]) if "reach nobody" in m["Subject"])
    (command,) = re.findall(r"To send it again: backlog-alerts (state forget [^\n]*)", unheard["Message"])
    assert "--period 2019-02 --department streets --service Pothole" in command
    resend = run_cli(shlex.split(command), env)
    assert resend.returncode == 0 and "forgot 1 alert(s) heard in 2019-02" in resend.stdout
    assert run(env, feb).returncode == 0
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 170 > 100"], "sent again, once"
    assert subjects(sqs, inboxes, "trash") == []

    params_args = shlex.split(command)[2:4]
    for wrong, said in (
        (["--period", "2019-3"], "is not YYYY-MM"),
        (
            ["--period", "2019-02", "--service", "Potholes"],
            "nothing to forget: no alert heard in 2019-02 matches",
        ),
        (["--period", "2018-01"], "none was heard then), and 2018-01 was not checked"),
    ):
        refused = run_cli(["state", "forget", *params_args, *wrong], env)
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    shown = run_cli(["state", "show", *params_args], env)
    assert (
        shown.returncode == 0 and "topic streets_notifications: this deployment's; last alert" in shown.stdout
    )


def test_locations_file_uris_and_keys_with_hash_marks_and_http_refused(aws_endpoint, s3, inboxes, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    s3.create_bucket(Bucket="city-state")
    params = write_params(
        tmp_path,
        state_uri="s3://city-state/backlog#prod?v=1/alert_state.json",
        output_dir=f"file://{tmp_path}/trail%20folder",
    )
    assert run(env, params).returncode == 0
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="city-state")["Contents"]]
    assert keys == ["backlog#prod?v=1/alert_state.json"]
    assert [p.name for p in (tmp_path / "trail folder").iterdir() if p.is_dir()]
    refused = run(env, write_params(tmp_path, "http.yaml", state_uri="https://example.com/state.json"))
    assert refused.returncode == 2 and "the tool cannot write to http(s)://" in refused.stderr


def test_two_runs_on_one_state_with_different_output_folders_take_turns(aws_endpoint, inboxes, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = write_params(tmp_path, state_uri=str(tmp_path / "shared" / "alert_state.json"), lock_wait=0)
    with run_lock(
        str(tmp_path / "other-out"), state_uri=str(tmp_path / "shared" / "alert_state.json")
    ) as held:
        held.claim("20261205T010203.000004Z")
        busy = run(env, params, "--output-dir", str(tmp_path / "out"))
    assert busy.returncode == 3
    assert "another run is in progress (run id 20261205T010203.000004Z" in busy.stderr
    assert "alert_state.json.lock" in busy.stderr
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_a_lost_state_whose_trail_is_elsewhere_is_refused_and_the_named_rebuild_mends_it(
    aws_endpoint, sqs, inboxes, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = write_params(tmp_path / "city", state_uri="")
    assert run(env, params, "--output-dir", str(tmp_path / "cron-out")).returncode == 0
    drain(sqs, inboxes["streets"]), drain(sqs, inboxes["trash"])
    (tmp_path / "city" / "state" / "alert_state.json").unlink()
    refused = run(env, params, "--output-dir", str(tmp_path / "new-out"))  # no trail of it here
    assert refused.returncode == 2
    assert "names no deployment yet: it is new, or it was lost" in refused.stderr
    assert "If this is d-" in refused.stderr and "and its state was lost, rebuild it" in refused.stderr
    command = re.search(
        r"backlog-alerts state rebuild (--params \S+) \(add --trail <folder> if its runs were written elsewhere\)",
        refused.stderr,
    )
    rebuilt = run_cli(
        ["state", "rebuild", *command.group(1).split(), "--trail", str(tmp_path / "cron-out")], env
    )
    assert rebuilt.returncode == 0 and "entries added (1 run(s) of the trail at" in rebuilt.stdout
    assert run(env, params, "--output-dir", str(tmp_path / "new-out")).returncode == 0
    assert all(subjects(sqs, inboxes, d) == [] for d in ("streets", "trash")), "nothing went out twice"


def test_a_dry_run_refuses_a_state_behind_its_topics_with_the_command_that_mends_it(
    aws_endpoint, inboxes, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = write_params(tmp_path / "city", state_uri="", output_dir=str(tmp_path / "out"))
    assert run(env, params).returncode == 0
    state = tmp_path / "city" / "state" / "alert_state.json"
    data = json.loads(state.read_text())
    data["heard"], data["sends"] = [], []  # restored from before the first alerts
    state.write_text(json.dumps(data))
    dry = write_params(
        tmp_path / "city", "dry.yaml", state_uri="", dry_run=True, output_dir=str(tmp_path / "out")
    )
    refused = run(env, dry)
    assert refused.returncode == 2 and "is behind what topic" in refused.stderr
    command = re.search(r"backlog-alerts state rebuild (--params \S+)", refused.stderr).group(1)
    assert run_cli(["state", "rebuild", *command.split()], env).returncode == 0
    assert run(env, dry).returncode == 0


def test_a_rebuild_takes_only_this_deployments_runs_from_a_shared_output_folder(aws_endpoint, sqs, tmp_path):
    """`make run`'s demo and a city's runs share outputs/: a city's lost state is rebuilt from its own."""
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    out = str(tmp_path / "outputs")
    demo = write_params(tmp_path / "demo", state_uri="", output_dir=out)
    assert run(env, demo).returncode == 0  # February's alerts, on an emulator that then goes away
    reset_emulator(aws_endpoint)
    sns = boto3.client("sns", region_name="us-east-1")
    inboxes = {t.department: t.arn for t in ensure_topics(sns, {"trash": "", "streets": ""})}
    inboxes = {d: subscribe_queue(sqs, sns, arn, f"city-{d}") for d, arn in inboxes.items()}
    city = write_params(
        tmp_path / "city", state_uri="", output_dir=out, report_uri=report(tmp_path, "2019-01", 120, 5)
    )
    assert run(env, city).returncode == 0
    drain(sqs, inboxes["streets"])
    (tmp_path / "city" / "state" / "alert_state.json").unlink()
    february = write_params(
        tmp_path / "city", state_uri="", output_dir=out, report_uri=report(tmp_path, "2019-02")
    )
    result = run(env, february)
    assert result.returncode == 0, result.stderr
    assert "rebuilt from 1 run(s) of the trail" in result.stdout, "the demo's run is another deployment's"
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 163 > 100"]
    assert subjects(sqs, inboxes, "trash") == ["[WARNING] Illegal Dumping backlog 47 > 30"]


def test_a_dry_run_marks_no_topic_and_saves_no_state_so_it_never_takes_topics_from_their_owner(
    aws_endpoint, sns, tmp_path
):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    names = ("v1_trash_notifications", "v1_streets_notifications", "v1_backlog_alerts_ops")
    arns = [sns.create_topic(Name=name)["TopicArn"] for name in names]  # made by hand, before the mark
    preview = write_params(
        tmp_path / "b",
        namespace="v1",
        state_uri=str(tmp_path / "b" / "state.json"),
        dry_run=True,
        output_dir=str(tmp_path / "b-out"),
    )
    assert run(env, preview).returncode == 0
    assert not (tmp_path / "b" / "state.json").exists()
    assert all(
        not any(
            t["Key"].startswith("backlog-alerts:") for t in sns.list_tags_for_resource(ResourceArn=a)["Tags"]
        )
        for a in arns
    )
    owner = write_params(
        tmp_path / "a",
        namespace="v1",
        state_uri=str(tmp_path / "a" / "state.json"),
        output_dir=str(tmp_path / "a-out"),
    )
    assert run(env, owner).returncode == 0, "the real owner is not refused after someone's preview"
    refused = run(env, preview)
    assert refused.returncode == 2 and "ops: a dry run, nobody was notified of the refusal" in refused.stdout


def test_a_rebuild_counts_no_dry_run_as_a_period_checked(aws_endpoint, sqs, inboxes, tmp_path):
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    city = tmp_path / "city"
    out = str(tmp_path / "out")
    assert (
        run(
            env, write_params(city, state_uri="", output_dir=out, report_uri=report(tmp_path, "2019-03"))
        ).returncode
        == 0
    )
    preview = write_params(
        city, state_uri="", output_dir=out, report_uri=report(tmp_path, "2019-09"), dry_run=True
    )
    assert run(env, preview).returncode == 0
    drain(sqs, inboxes["streets"]), drain(sqs, inboxes["trash"])
    (city / "state" / "alert_state.json").unlink()
    june = run(env, write_params(city, state_uri="", output_dir=out, report_uri=report(tmp_path, "2019-06")))
    assert june.returncode == 0 and "report: ok, period 2019-06" in june.stdout
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 163 > 100"]


def test_two_runs_started_at_once_on_one_state_send_each_alert_once(aws_endpoint, sqs, inboxes, tmp_path):
    """With different output folders, as a cron job and a run by hand: the second waits for the
    state's lock, then finds everything already sent."""
    env = emulator.emulator_environ(aws_endpoint, clean_env())
    params = write_params(tmp_path, state_uri=str(tmp_path / "state" / "alert_state.json"), lock_wait=120)
    runs = [
        subprocess.Popen(
            [*CLI, "run", "--params", str(params), "--output-dir", str(tmp_path / f"out-{n}")],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    results = [(p.communicate(timeout=300), p.returncode) for p in runs]
    assert [code for _, code in results] == [0, 0], [err for (_, err), _ in results]
    assert sum("rules: 2 suppressed" in out for (out, _), _ in results) == 1
    assert subjects(sqs, inboxes, "streets") == ["[WARNING] Pothole backlog 163 > 100"]
    assert subjects(sqs, inboxes, "trash") == ["[WARNING] Illegal Dumping backlog 47 > 30"]
