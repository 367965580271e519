"""One run as an auditor's page: manifest, inputs, topics, each message as sent, subscription changes.

Built from the manifest and the facts the notebooks recorded (already masked where they were
written); tables reuse `rendering.fact_html`, so a fact reads the same here as in its notebook.
"""

from __future__ import annotations

import html
from typing import Any

from backlog_alerts.trail.audit_data import WOULD, run_record, run_status
from backlog_alerts.trail.manifest import effective_status, status_text
from backlog_alerts.trail.recorded import UNKNOWN, RecordedRun, unknown_changes
from backlog_alerts.trail.rendering import breakable, fact_html
from backlog_alerts.trail.runs import NOT_READ
from backlog_alerts.trail.site_page import month_of, month_page, page
from backlog_alerts.trail.untraced import OUTSIDE

WOULD_DO = set(WOULD.values())  # a dry run's alert: what it would have done

BACKTEST = "04_backtest.ipynb"


def is_backtest(manifest: dict[str, Any]) -> bool:
    """A folder whose only notebook is the backtest replayed reports and published nothing."""
    names = [entry["notebook"] for entry in manifest.get("notebooks", [])]
    return bool(names) and all(name == BACKTEST for name in names)


def sent_lines(run: dict[str, Any]) -> tuple[list[str], list[str]]:
    """HTML lines: what went out (rule → topic, MessageId), and what did not, with why."""
    sent, not_sent = [], []
    recorded, record = RecordedRun.of(run), run_record(run)
    notice = recorded.report_notice
    if notice:  # no rule was checked: the ops topic was told why
        why = html.escape(f"report {notice.get('status', '')}: {notice.get('note', '')}")
        not_sent.append(f"every rule: {why}")
    for told in record["ops_notices"]:  # only what this run itself sent carries a MessageId
        kind = html.escape(told["kind"])
        if told["message_id"]:
            sent.append(f"{kind} notice → ops, <code>{html.escape(told['message_id'])}</code>")
        else:
            not_sent.append(f"{kind} notice to ops: {html.escape(told['outcome'])}")
    for alert in record["alerts"]:
        rule = html.escape(alert["rule"])
        topic = html.escape((alert["topic_arn"] or alert["department"]).rsplit(":", 1)[-1])
        if alert["message_id"] and alert["action"] in ("publish", "resolved"):
            sent.append(f"{rule} → {topic}, <code>{html.escape(alert['message_id'])}</code>")
        else:
            dry = f"dry run: {alert['action']}" if alert["dry_run"] and alert["action"] in WOULD_DO else ""
            why = alert["error"] or dry or alert["note"] or alert["action"]
            not_sent.append(f"{rule}: {html.escape(str(why))}")
    return sent, not_sent


def outside_section(
    sends: list[dict[str, Any]],
    error: str = "",
    notices: list[dict[str, Any]] | None = None,
    not_read: list[str] | None = None,
    state_uri: str | None = None,
) -> str:
    """The index's list of sends and ops notices outside recorded runs (a notebook run by hand), from
    the alert state it names (`state_uri`; "": none was named or found, so nothing is claimed), and
    the entries of its logs that could not be read."""
    skipped = "".join(f"<li>{html.escape(line.removeprefix(NOT_READ))}</li>" for line in not_read or [])
    head = f"<h2>Sent {OUTSIDE}</h2>"
    if state_uri == "":
        return (
            head + "<p>Not checked: no alert state was named (--params, --state) or found from the trail.</p>"
        )
    if state_uri:
        head += f"<p>Read from the alert state <code>{html.escape(state_uri)}</code>.</p>"
    head += f"<p>Not read:</p><ul>{skipped}</ul>" if skipped else ""
    if error:
        return head + f"<p>Not checked: the alert state could not be read: {html.escape(error)}</p>"
    rows = [
        {
            "run": send["run_id"],
            "sent at": send["sent_at"],
            "topic": send["topic"],
            "rules": ", ".join(send["rules"]),
            "severity": send["severity"],
            "MessageId": send["message_id"],
        }
        for send in sends
    ]
    told = [
        {
            "run": notice["run_id"],
            "sent at": notice["sent_at"],
            "topic": notice["topic"],
            "notice": notice["kind"],
            "MessageId": notice["message_id"],
        }
        for notice in notices or []
    ]
    intro = (
        "<p>Sends and notices to the ops topic that the alert state logged whose run left no run folder "
        "on this trail: a notebook run by hand, or a run with another output folder.</p>"
    )
    listed = fact_html("sent_outside_runs", rows) if rows else ""
    listed += fact_html("ops_notices_outside_runs", told) if told else ""
    return head + intro + (listed or "<p><em>none</em></p>")


def _kv(pairs: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{breakable(str(v)) if v not in ('', None) else '<em>none</em>'}</dd>"
        for k, v in pairs.items()
    )
    return f'<dl class="kv">{items}</dl>'


def _manifest(manifest: dict[str, Any]) -> str:
    commit = manifest.get("git_commit", "")
    status = effective_status(manifest)
    pairs = {
        "status": status_text(manifest),
        "params file": manifest["params_file"],
        "params SHA-256": manifest["params_sha256"],
        "git commit": commit.removesuffix("-dirty"),
        "uncommitted changes (dirty)": "yes" if commit.endswith("-dirty") else "no",
        "host": manifest.get("host", ""),
        "package version": manifest.get("package_version", ""),
        "started": manifest["started_at"],
        "ended": manifest.get("ended_at", ""),
        "error": manifest.get("error", "") if status != "succeeded" else "",
    }
    rows = [
        {k: n.get(k, "") for k in ("notebook", "status", "started_at", "ended_at", "seconds", "error")}
        for n in manifest.get("notebooks", [])
    ]
    return "<h2>Manifest</h2>" + _kv(pairs) + (fact_html("notebooks", rows) if rows else "")


def _inputs(record: dict[str, Any]) -> str:
    rows = [{"input": name, **values} for name, values in record["inputs"].items()]
    refused = record["refused_input"]
    said = "<p><strong>Refused:</strong></p>" + fact_html("refused_input", refused) if refused else ""
    return "<h2>Inputs</h2>" + fact_html("inputs", rows) + said


def _ops_notices(record: dict[str, Any]) -> str:
    """Every notice to the ops topic this run sent (topic, MessageId, time), or why none went out."""
    notices = record["ops_notices"]
    return "<h2>Ops notices</h2>" + (fact_html("ops_notices", notices) if notices else "<p><em>none</em></p>")


def _reach_head(reach: dict[str, list[str]], sent: bool, dry_run: bool) -> dict[str, str]:
    """Whom the message reached (sent), or would have (a dry run's), and whom on its topic it did not
    (masked); a message not sent in a real run reached nobody, and claims no one."""
    key = "reached" if sent else "would_reach"
    whom = reach[key]
    said = {key.replace("_", " "): f"{len(whom)}: {', '.join(whom)}" if whom else "nobody"}
    return (said if sent or dry_run else {}) | {
        label: ", ".join(reach[key])
        for label, key in (
            ("pending", "pending"),
            ("opted out", "opted_out"),
            ("not verified", "unverified"),
            ("held back by filter policy", "held_back"),
            ("filter policy unreadable", "cannot_tell"),
        )
        if reach.get(key)
    }


def _messages(run: dict[str, Any], recorded: RecordedRun) -> str:
    messages = recorded.messages
    alerts = run_record(run)["alerts"]
    blocks = []
    for message in messages:
        rules = message.get("rules", [])
        matched = [a for a in alerts if a["rule"] in rules]
        ids = sorted({a["message_id"] for a in matched if a["message_id"]})
        recipients = next((a["recipients"] for a in matched if a["recipients"] is not None), None)
        reach = next((a["reach"] for a in matched if a["reach"] is not None), None)
        arn = next((a["topic_arn"] for a in matched if a["topic_arn"]), message.get("topic", ""))
        head = {
            "topic": arn,
            "rules": ", ".join(rules),
            "MessageId": ", ".join(ids) or ("not sent (dry run)" if recorded.check_dry_run else "not sent"),
            "recipients": f"{recipients} subscription(s)" if recipients is not None else "unknown",
            **(_reach_head(reach, bool(ids), recorded.check_dry_run) if reach is not None else {}),
            "Subject": message.get("subject", ""),
        }
        texts = "".join(
            f"<h4>{label}</h4><pre>{html.escape(str(message.get(key, '')))}</pre>"
            for label, key in (("SMS", "sms"), ("Email", "email"))
        )
        blocks.append(f'<div class="message">{_kv(head)}{texts}</div>')
    return "<h2>Messages</h2>" + ("".join(blocks) or "<p><em>no message composed</em></p>")


def _subscription_changes(recorded: RecordedRun) -> str:
    """The changes as recorded; for a sync stopped mid-apply, that they are unknown and what it planned."""
    planned, changes = recorded.sync_planned, recorded.changes
    if recorded.sync_status == UNKNOWN and planned:
        return (
            f"<h2>Subscription changes</h2><p><strong>{html.escape(unknown_changes(planned))}</strong></p>"
            + fact_html("sync_plan", recorded.sync_plan)
        )
    return "<h2>Subscription changes</h2>" + (
        fact_html("changes", changes) if changes else "<p><em>none recorded</em></p>"
    )


COVERAGE_LABELS = {
    "unheard": "alert reaches nobody",
    "opted_out": "number opted out (replied STOP)",
    "pending": "email unconfirmed for over a day",
    "unverified": "number not verified (SMS sandbox)",
    "spend": "SMS spend",
}


def _coverage(recorded: RecordedRun) -> str:
    """What kept alerts from people at this run, and whether ops were told of it by this run or before."""
    coverage = recorded.coverage
    if not coverage:
        return ""
    told = f"{coverage['action']} {coverage['message_id']} {coverage.get('error', '')}".strip()
    now = "told by this run" if coverage["message_id"] else f"new, not told: {coverage['action']}"
    items = "".join(
        f"<li><strong>{html.escape(COVERAGE_LABELS.get(c['kind'], c['kind']))}</strong> "
        f"({html.escape(now if c['new'] else 'told before')}): {html.escape(c['text'])}</li>"
        for c in coverage["conditions"]
    )
    return f"<h2>Who stopped hearing</h2><p>ops notice: {html.escape(told)}</p>" + (
        f"<ul>{items}</ul>" if items else "<p><em>every alert reaches someone; nothing to tell</em></p>"
    )


def _not_read(lines: list[str]) -> str:
    """Notebooks the manifest names that the package does not write: listed, never read."""
    items = "".join(f"<li>{html.escape(line.removeprefix(NOT_READ))}</li>" for line in lines)
    return f"<h2>Not read</h2><ul>{items}</ul>" if items else ""


def run_page(run: dict[str, Any], notebooks: list[str]) -> str:
    """The whole page of one run; `notebooks` are the HTML files beside it."""
    manifest = run["manifest"]
    recorded = RecordedRun.of(run)
    record = run_record(run)
    links = "".join(
        f'<li><a href="{html.escape(n)}">{html.escape(n.removesuffix(".html"))}</a></li>' for n in notebooks
    )
    topics = [{"department": t.get("department"), "arn": t.get("arn")} for t in recorded.topics]
    sent, not_sent = sent_lines(run)
    kind, status = run_status(run)
    status += " (dry run: nothing was changed or sent)" if record.get("dry_run") else ""
    unread = "".join(f"<li><strong>{html.escape(line)}</strong></li>" for line in run.get("not_read", []))
    month = month_of(manifest["run_id"])
    parts = [
        f'<p><a href="../{month_page(month)}">← runs of {month}</a> · '
        '<a href="../index.html">all months</a></p>',
        f"<h1>Run {html.escape(manifest['run_id'])}</h1>",
        f'<p><span class="status {html.escape(kind)}">{html.escape(status)}</span></p>',
        "<h2>Notebooks (executed)</h2><ul>" + (links + unread or "<li><em>none ran</em></li>") + "</ul>",
        _manifest(manifest),
        "" if is_backtest(manifest) else _inputs(record),
        "<h2>Topics</h2>" + (fact_html("topics", topics) if topics else "<p><em>none recorded</em></p>"),
        "<h2>Sent</h2><p>" + ("<br>".join(sent) or "<em>nothing</em>") + "</p>",
        "<h2>Not sent</h2><p>" + ("<br>".join(not_sent) or "<em>nothing held back</em>") + "</p>",
        _messages(run, recorded),
        _ops_notices(record),
        _coverage(recorded),
        _subscription_changes(recorded),
        _not_read(run.get("not_read", [])),
    ]
    return page(f"run {manifest['run_id']}", "\n".join(parts), root="../")
