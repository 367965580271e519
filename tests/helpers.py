"""Plain functions and constants shared by tests/unit, tests/integration and tests/faults.

Imported as `from helpers import ...` (pyproject.toml puts tests/ on pytest's pythonpath); fixtures
live in tests/conftest.py. Nothing here starts a server or a process on import.
"""

from __future__ import annotations

import configparser
import csv
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import nbformat
import yaml
from forked_kernels import start_settings
from nbformat.v4 import new_code_cell, new_notebook, new_output

from backlog_alerts.io.demo import demo_bytes
from backlog_alerts.io.sources import Source
from backlog_alerts.sync.contacts import Contact
from backlog_alerts.trail.facts import FACTS_MIME

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"
CORPUS = ROOT / "tests" / "corpus"
DEPLOY = ROOT / "deploy"
CLI = [str(Path(sys.executable).parent / "backlog-alerts")]


# --- environment and emulator ---------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """This process's environment without any AWS settings, for subprocess runs."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def reset_emulator(endpoint: str) -> None:
    """Forget every bucket, topic and subscription: each test starts from an empty AWS."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()


def subscribe_queue(sqs, sns, topic_arn: str, name: str) -> str:
    """An SQS queue subscribed to a topic, as a director's (or the ops engineer's) inbox; its URL."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def drain(sqs, url):
    """The SNS envelopes waiting in a queue (up to 10), deleted as they are read."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


# --- the command line -----------------------------------------------------------------------------


# Every run_cli call of the current test, for the canary check (tests/integration/conftest.py).
CLI_CALLS: list[subprocess.CompletedProcess] = []
READS_THE_TRAIL = ("audit", "report")  # never start an emulator
THREAD_GRACE = 10  # seconds an in-process command's threads get to end after it returns


def run_cli(args, env, cwd=ROOT, process=False):
    """`backlog-alerts ARGS` with `env` in `cwd`, output captured (and kept for the canary check).

    In this process, through the command's `main(argv)`: a process per call cost the suite a second of
    CPU in imports each time. A command that would bring its own emulator (env names none) gets a
    process of its own, as moto's accounts are per process and the tests' emulator is in this one; so
    does one whose Python starts another way (PYTHONPATH naming the fault injector's sitecustomize),
    and one asked for with `process` (a run that leaves a thread behind when it stops, say).
    Stops, exit codes of a killed runner and the console script itself are tested with real processes
    (test_run_cli.py, test_kernel_lifecycle.py, test_audit_trail.py).
    """
    own_emulator = "AWS_ENDPOINT_URL" not in env and args[0] not in READS_THE_TRAIL
    if process or own_emulator or start_settings(env) != start_settings(os.environ):
        result = subprocess.run(
            [*CLI, *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    else:
        result = _in_process([str(arg) for arg in args], env, cwd)
    CLI_CALLS.append(result)
    return result


def _in_process(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    """`main(args)` as the console script runs it: the environment, working folder, temporary folder,
    log and warnings output its own for the call; an uncaught exception a traceback and exit code 1.
    A thread the command leaves running would go on in this process with the next test's environment
    (a process's end stops it): that fails the call, which must then run with `process=True`."""
    import traceback
    from contextlib import redirect_stderr, redirect_stdout

    from backlog_alerts.run.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = set(threading.enumerate())
    with _as_a_process(env, cwd, err), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as stop:  # argparse: --help, --version, a bad option
            code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        except Exception:  # noqa: BLE001 - as Python ends a process on an uncaught exception
            traceback.print_exc()
            code = 1
        left = [t for t in set(threading.enumerate()) - before if not _lives_with_the_process(t)]
        for thread in left:  # a kernel's stderr read to its end, a notebook's last save
            thread.join(THREAD_GRACE)
    if running := [t.name for t in left if t.is_alive()]:
        raise AssertionError(
            f"`{' '.join(args)}` left threads running {running}: call run_cli with process=True"
        )
    return subprocess.CompletedProcess([*CLI, *args], code, out.getvalue(), err.getvalue())


@contextmanager
def _as_a_process(env: dict[str, str], cwd, err: io.StringIO):
    """What a new process would have: `env` (and the temporary folder it names), `cwd`, Python's
    default warning filters and its last-resort log handler, both writing to `err`. A bad `env` or
    `cwd` fails the call, as subprocess.run would, and leaves this process as it was."""
    saved_env, saved_cwd, saved_tmp = dict(os.environ), os.getcwd(), tempfile.tempdir
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    last_resort = logging.StreamHandler(err)  # as logging.lastResort: WARNING and up, the message alone
    last_resort.setLevel(logging.WARNING)
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        tempfile.tempdir = None  # found again from TMPDIR
        root.handlers[:] = [last_resort]
        root.setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", category, append=True)  # Python's defaults
            warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: (
                err.write(warnings.formatwarning(message, category, filename, lineno, line))
            )
            yield
    finally:
        root.handlers[:], root.level = saved_handlers, saved_level
        tempfile.tempdir = saved_tmp
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _lives_with_the_process(thread: threading.Thread) -> bool:
    """A thread of the tests' emulator answering a connection the command's clients may keep, or the
    idle event loop jupyter_core keeps for each thread name that ran a coroutine (papermill's)."""
    return "process_request_thread" in thread.name or thread.name.endswith(" - runner")


def papermill_by_hand(notebook: str, output: str, **kwargs):
    """papermill.execute_notebook as a user calls it, its kernel on IPC sockets: on TCP, jupyter_client
    picks free ports that another test's kernel can take before this one binds them ("Address already in
    use", then "Kernel didn't respond in 60 seconds")."""
    import papermill
    from jupyter_client.manager import KernelManager

    from backlog_alerts.run.kernels import listen_on

    with tempfile.TemporaryDirectory(prefix="k-") as runtime:

        class OnIpc(KernelManager):
            def __init__(self, **traits):
                super().__init__(**traits)
                self.transport, self.ip = listen_on(runtime)

        return papermill.execute_notebook(notebook, output, kernel_manager_class=OnIpc, **kwargs)


def run_until_notebook_2(output_dir: Path, env: dict[str, str], timeout: float = 120):
    """`backlog-alerts run` started, and followed until its manifest says notebook 2 is running:
    (the process, the manifest's path)."""
    process = subprocess.Popen(
        [*CLI, "run", "--output-dir", str(output_dir)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        manifests = list(output_dir.glob("*/manifest.json"))
        if manifests and json.loads(manifests[0].read_text())["notebooks"][1]["status"] == "running":
            return process, manifests[0]
        time.sleep(0.1)
    process.kill()
    raise AssertionError("notebook 2 never started")


def params_file(folder, name="params.yaml", **changes):
    """params/local.yaml with changes (the demo: contacts, report and state in the emulator's S3), written
    to folder/name (in a folder of its own, `state_uri: ""` keeps the state there)."""
    params = yaml.safe_load((ROOT / "params" / "local.yaml").read_text())
    params.update(changes)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(params))
    return path


def counts_report(folder, period, pothole=163, dumping=47) -> str:
    """A counts report for `period` (YYYY-MM) under folder/reports/YYYY/MM/, its period in its key."""
    path = folder / "reports" / period.replace("-", "/") / "final_report.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"service_name,count\nPothole,{pothole}\nIllegal Dumping,{dumping}\n")
    return str(path)


def only_run_folder(output_dir: Path) -> Path:
    """The one run folder in an output location."""
    (folder,) = [p for p in output_dir.iterdir() if p.is_dir()]  # beside it: the run lock
    return folder


# --- inputs ---------------------------------------------------------------------------------------


def demo_rows(name):
    """A demo CSV file shipped with the package, as dicts."""
    return list(csv.DictReader(io.StringIO(demo_bytes(name).decode())))


def directors(n: int) -> list[Contact]:
    """n contacts split over trash and streets, each with a distinct fictional email and phone."""
    return [
        Contact(
            i + 2,
            f"Director {i}",
            f"director{i}@example.gov",
            f"+1{619 + i // 10000}555{i % 10000:04d}",
            ("trash", "streets")[i % 2],
        )
        for i in range(n)
    ]


def text_source(text: str, uri: str = "test.csv") -> Source:
    """An in-memory input file, decoded the way read_source decodes real ones."""
    data = text.encode("utf-8")
    return Source(uri=uri, text=data.decode("utf-8-sig"), etag="", sha256="")


# Two tiers on one service, as several tests need them: warning above 100, critical above 200.
POTHOLE_TIERS = [
    {"name": "pothole_warn", "service_name": "Pothole", "department": "streets", "threshold": 100},
    {
        "name": "pothole_crit",
        "service_name": "Pothole",
        "department": "streets",
        "threshold": 200,
        "severity": "critical",
    },
]
# The demo's pothole rule: warning above 100.
POTHOLE_RULE = {"name": "potholes", "service_name": "Pothole", "department": "streets", "threshold": 100}

# Pothole and Illegal Dumping counts per month of the `history` fixture's reports (tests/conftest.py).
HISTORY_MONTHS = {"jan": (88, 25), "feb": (163, 47), "mar": (171, 29), "apr": (214, 52), "may": (96, 41)}


# --- real raw request records (../shared/data/real/) ------------------------------------------------

GID_2021 = "gid_raw/get_it_done_2021_requests_datasd_v1fromMarch__melissamonroe.csv"


def csv_rows(path):
    """A CSV file's rows as dicts, read with the csv module alone (not with the code under test)."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def expected_backlog(path, closed=("closed", "referred"), min_age=0, children=False):
    """Open requests per service in a raw records file, counted here rather than by the package."""
    return Counter(
        r["service_name"].strip()
        for r in csv_rows(path)
        if r["status"].strip().casefold() not in closed
        and (children or not r["service_request_parent_id"].strip())
        and float(r["case_age_days"] or -1) >= min_age
        and r["service_name"].strip()
    )


# --- the bad-input corpus (tests/corpus/) ---------------------------------------------------------


def corpus(kind: str) -> list[tuple[Path, dict]]:
    """The corpus files of one kind, each with its expectation from expected.yaml."""
    expected = yaml.safe_load((CORPUS / kind / "expected.yaml").read_text())
    files = sorted(p.name for p in (CORPUS / kind).iterdir() if p.name != "expected.yaml")
    assert files == sorted(expected), f"tests/corpus/{kind}: every file needs an expectation, and only those"
    return [(CORPUS / kind / name, expected[name]) for name in sorted(expected)]


# --- project files --------------------------------------------------------------------------------


def iam_policy() -> dict:
    """The least-privilege policy in deploy/iam-policy.json, which docs/real-aws.md shows."""
    return json.loads((ROOT / "deploy" / "iam-policy.json").read_text())


def systemd_unit(name: str) -> configparser.ConfigParser:
    """A unit file of deploy/systemd/, parsed."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


# --- recorded runs --------------------------------------------------------------------------------

PARAMS_SHA = "a" * 64
REPORT_SHA, CONTACTS_SHA = "b" * 64, "c" * 64


def recorded_decision(rule, department, action, message_id="", error="", count=50, threshold=10):
    """One rule's outcome as the alert check records it."""
    return {
        "rule": rule,
        "department": department,
        "severity": "warning",
        "count": count,
        "threshold": threshold,
        "action": action,
        "message_id": message_id,
        "error": error,
        "note": "",
    }


def hand_built_run(run_id="20261128T110713.084847Z", status="succeeded", alerts=None, error=""):
    """A run folder as `audit` reads it (manifest and recorded facts), without running anything."""
    alerts = (
        alerts
        if alerts is not None
        else [
            # Sorted MessageIds ("m-1" < "m-2") do not follow the rules' order here.
            recorded_decision("zebra_rule", "streets", "publish", "m-1"),
            recorded_decision("apple_rule", "parks", "publish", "m-2"),
            recorded_decision("quiet_rule", "parks", "quiet", count=1),
        ]
    )
    manifest = {
        "run_id": run_id,
        "started_at": "2026-11-28T11:07:13.084+00:00",
        "ended_at": "2026-11-28T11:08:00.000+00:00",
        "status": status,
        "params_file": "/srv/params/city.yaml",
        "params_sha256": PARAMS_SHA,
        "git_commit": "d" * 40,
        "error": error,
        "notebooks": [],
    }
    facts = {
        "01_topic_setup": {
            "topics": [
                {"department": "streets", "name": "streets_notifications", "arn": "arn:aws:sns:x:1:streets"},
                {"department": "parks", "name": "parks_notifications", "arn": "arn:aws:sns:x:1:parks"},
            ]
        },
        "02_subscription_sync": {
            "contacts_file": {"uri": "s3://b/contacts.csv", "sha256": CONTACTS_SHA, "etag": '"e1"'},
            "sync_outcome": [
                {"department": "streets", "add": 2, "remove": 1, "unchanged": 1, "pending": 1},
                {"department": "parks", "add": 0, "unchanged": 3, "held": 1},
            ],
        },
        "03_alert_check": {
            "report": {"uri": "s3://b/report.csv", "period": "2019-02", "status": "ok", "sha256": REPORT_SHA},
            "alerts": alerts,
        },
    }
    return {"manifest": manifest, "notebooks": {name: {"facts": f} for name, f in facts.items()}}


# A coverage notice as the alert check records it: one condition new, one told before.
COVERAGE_FACT = {
    "conditions": [
        {"kind": "unheard", "text": "streets: Pothole 163 > 100 (rule zebra_rule), published", "new": True},
        {"kind": "opted_out", "text": "streets: +1******0199", "new": False},
    ],
    "action": "published",
    "message_id": "ops-1",
    "error": "",
}


# --- the canary: contacts that must never show unmasked in what we write ----------------------------
#
# Every contact the tests use is a canary: its email at a reserved example domain (RFC 2606:
# example.gov, example.com, ...) and its number in the 555 exchange kept for fiction, or else typed
# as a literal in the test's own source (found there). tests/unit/test_masking.py checks that every
# contact in the tests, the corpus and the demo is one. The patterns do not use the masker: a full
# address or number is found in any form (as typed, E.164, digits only, national, any case), and
# the masked forms (`d*****@example.gov`, `+1******0101`) never match.

_CANARY_EMAIL = r"[\w.%+'-](?:@|%40)example\.(?:gov|com|org|net|edu)\b"
_CANARY_PHONE = r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]{0,2}555[\s.-]?\d{4}"
_NO_ALNUM_BEFORE, _NO_ALNUM_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
_PHONE_LITERAL = re.compile(r"\+\d{8,15}\b")
_EMAIL_LITERAL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# What we write: notebooks, manifests, the state, logs, the site. Inputs (CSV, params YAML) are not ours.
ARTIFACT_SUFFIXES = {".ipynb", ".json", ".html", ".htm", ".log", ".txt", ".md", ".js"}


def _digits_pattern(country: int, national: str) -> str:
    """A number in any written form: with or without its country code or trunk 0, any separators."""
    prefix = rf"(?:\+?{country}[\s().-]{{0,2}}|0[\s().-]{{0,2}})?"
    return _NO_ALNUM_BEFORE + prefix + r"[\s().-]{0,2}".join(national) + _NO_ALNUM_AFTER


def canary_pattern(source: str = "") -> re.Pattern[str]:
    """The canary contacts, plus any email or +E.164 number typed in `source` (a test module's text)."""
    import phonenumbers

    parts = [_CANARY_EMAIL, _NO_ALNUM_BEFORE + _CANARY_PHONE + _NO_ALNUM_AFTER]
    for literal in set(_PHONE_LITERAL.findall(source)):
        try:
            number = phonenumbers.parse(literal)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            parts.append(_digits_pattern(number.country_code, str(number.national_number)))
    for address in set(_EMAIL_LITERAL.findall(source)):
        local, domain = address.split("@", 1)
        if len(local) > 1 and "." in domain:
            parts.append(re.escape(local[-2:]) + r"(?:@|%40)" + re.escape(domain))
    return re.compile("|".join(f"(?:{part})" for part in parts), re.IGNORECASE)


# The number the docs and the notebooks' own text show as an example; no test contact has it.
EXAMPLE_NUMBER = "+16195550100"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def canary_leaks(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Each full canary address or number in `text`, with a little of what surrounds it."""
    return [
        text[max(0, m.start() - 40) : m.end() + 40]
        for m in pattern.finditer(text)
        if len(_digits(m.group())) < 10 or not EXAMPLE_NUMBER.endswith(_digits(m.group()))
    ]


def artifact_texts(folder: Path):
    """(name, text) of every file under `folder` that we write (see ARTIFACT_SUFFIXES)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in ARTIFACT_SUFFIXES:
            yield str(path), path.read_text(encoding="utf-8", errors="replace")


def trail_folders(folder: Path) -> list[Path]:
    """Local folders holding run folders (a `*/manifest.json`) under `folder`."""
    return sorted({manifest.parent.parent for manifest in folder.rglob("*/manifest.json")})


def audit_and_report_texts(trail: Path, site: Path):
    """(name, text) of `audit` in every format and of the `report` site, for one trail (in-process)."""
    from contextlib import redirect_stderr, redirect_stdout

    from backlog_alerts.run.cli import main

    calls = [["audit", "--format", f] for f in ("table", "json", "csv")] + [
        ["audit", "--format", "csv", "--per", "alert"],
        ["report", "--to", str(site)],
    ]
    for call in calls:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            main([*call, "--output-dir", str(trail)])
        yield f"`{' '.join(call)}` of {trail}", out.getvalue() + err.getvalue()
    yield from artifact_texts(site)


def audit_rows(said: str) -> list[str]:
    """The runs of `audit`'s table, one line each: a row with its wrapped details joined (spaces folded)."""
    rows: list[str] = []
    for line in said.split("\n\n")[0].splitlines()[1:]:
        if line.startswith(" "):
            rows[-1] += " " + line.strip()
        elif not line.startswith("* dry run"):
            rows.append(line)
    return [" ".join(row.split()) for row in rows]


def write_run(trail: Path, run: dict) -> Path:
    """A hand-built run as the runner leaves it: manifest.json and one executed notebook per facts, each
    recording its `run` first as every notebook of the package does."""
    folder = trail / run["manifest"]["run_id"]
    folder.mkdir(parents=True)
    entries = []
    for name, notebook in run["notebooks"].items():
        outputs = [
            new_output("display_data", data={FACTS_MIME: {"key": key, "value": value}})
            for key, value in {"run": {"notebook": name}, **notebook["facts"]}.items()  # each records its run
        ]
        nbformat.write(new_notebook(cells=[new_code_cell("", outputs=outputs)]), folder / f"{name}.ipynb")
        entries.append({"notebook": f"{name}.ipynb", "status": "succeeded", "seconds": 1.0, "error": ""})
    (folder / "manifest.json").write_text(json.dumps({**run["manifest"], "notebooks": entries}))
    return folder
