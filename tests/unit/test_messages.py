import pytest

from backlog_alerts.alerting.evaluation import PUBLISH, Decision
from backlog_alerts.alerting.messages import SMS_LIMIT, MessageError, check_templates, render
from backlog_alerts.ascii_text import plain_ascii


def decision(service="Pothole", count=214, threshold=200, severity="critical", department="streets"):
    return Decision(
        service.lower(), service, department, severity, ">", threshold, count, True, action=PUBLISH
    )


def rendered(decisions, templates=None, display_name="Streets", kind="critical"):
    return render(
        decisions,
        kind,
        check_templates(templates or {}),
        display_name=display_name,
        report_uri="s3://r/2019/feb/final_report.csv",
        period="2019-02",
        run_id="RUN-1",
    )


def test_single_alert_texts():
    message = rendered([decision()])
    assert message.subject == "[CRITICAL] Pothole backlog 214 > 200"
    assert len(f"Streets> {message.sms}") <= SMS_LIMIT
    for needle in (
        "Pothole: 214 open requests",
        "threshold > 200",
        "over by 14",
        "critical",
        "2019-02",
        "RUN-1",
    ):
        assert needle in message.email


def test_digest_lists_every_service_and_falls_back_to_a_short_form_when_long():
    services = [decision(f"Service number {i} with a long name", 100 + i, 50, "warning") for i in range(6)]
    message = rendered(services, kind="warning")
    assert message.subject == "[WARNING] 6 streets backlogs over threshold"
    assert len(message.subject) < 100 and message.subject.isascii()
    assert all(f"Service number {i} with a long name" in message.email for i in range(6))
    assert message.services == [d.service_name for d in services]


def test_non_ascii_service_names_are_folded_for_sms_and_subject():
    message = rendered([decision("Violación 72 horas")])
    assert "Violacion 72 horas" in message.subject and "Violacion" in message.sms
    assert "Violación 72 horas" in message.email
    assert plain_ascii("Cañón") == "Canon"


def test_sms_that_cannot_fit_is_refused_before_publishing():
    with pytest.raises(
        MessageError, match=r"the SMS is \d+ characters with the 'Streets' prefix \(limit 140\)"
    ):
        rendered([decision()], {"sms": "{SEVERITY}: {summary}. " + "x" * 140})


@pytest.mark.parametrize(
    ("templates", "expected"),
    [
        ({"subject": "{nope}"}, r"message_templates.subject: unknown field\(s\) nope"),
        ({"pager": "x"}, r"unknown template\(s\) pager"),
        ({"subject": "a\n{summary}"}, "line breaks"),
        ({"email": "{summary"}, "message_templates.email"),
    ],
)
def test_bad_templates_fail_at_start_up(templates, expected):
    with pytest.raises(MessageError, match=expected):
        check_templates(templates)


def test_empty_or_non_ascii_subject_is_refused():
    with pytest.raises(MessageError, match="Subject is empty"):
        rendered([decision()], {"subject": " "})


def rules():
    from backlog_alerts.alerting.rules import parse_rules

    return parse_rules(
        [
            {"name": "p", "service_name": "Pothole", "department": "streets", "threshold": 100},
            {
                "name": "pc",
                "service_name": "Pothole",
                "department": "streets",
                "threshold": 200,
                "severity": "critical",
            },
        ],
        ["streets"],
    )


def test_a_non_ascii_display_name_is_folded_and_every_message_still_fits():
    """`Calles – Vías` once failed the SMS check in notebook 3, after the sync had run."""
    from backlog_alerts.alerting.messages import check_messages

    check_messages(rules(), {"streets": "Calles – Vías"}, check_templates({}))
    message = rendered([decision()], display_name="Calles – Vías")
    assert len(f"Calles - Vias> {message.sms}") <= SMS_LIMIT


def test_a_display_name_that_leaves_no_room_for_the_sms_is_named_before_anything_runs():
    from backlog_alerts.alerting.messages import check_messages

    name = (
        "Departamento de Calles y Aceras de la Ciudad de San Diego, Division de Mantenimiento Vial y Baches"
    )
    with pytest.raises(MessageError) as caught:
        check_messages(rules(), {"streets": name}, check_templates({}))
    assert str(caught.value) == (
        f"departments.streets: the DisplayName '{name}' ({len(name)} characters, put in front of every SMS) "
        "leaves too little room for the text of a warning alert (limit 140 characters in all)"
    )


def test_a_template_too_long_for_this_reports_counts_is_blamed_on_the_template_not_the_name():
    from backlog_alerts.alerting.messages import check_messages

    text = ". Check the dashboard at https://example.gov/backlogs/streets now, reply STOP to opt out (texts)"
    long_sms = check_templates({"sms": "{SEVERITY}: {summary}" + text})
    check_messages(rules(), {"streets": "Streets"}, long_sms)  # counts just over the thresholds: fits
    with pytest.raises(MessageError, match=r"^streets critical message: the SMS is 141 characters"):
        check_messages(rules(), {"streets": "Streets"}, long_sms, {"Pothole": 10**9})


def test_a_resolved_notice_never_says_the_count_is_over_its_threshold():
    one = rendered([decision(count=80, threshold=100, severity="warning")], kind="resolved")
    assert one.subject == "[RESOLVED] Pothole backlog 80, no longer > 100"
    assert one.sms == "RESOLVED: Pothole backlog 80, no longer > 100."
    assert "- Pothole: 80 open requests, no longer > 100" in one.email and "over by" not in one.email
    both = rendered(
        [decision(count=80, threshold=100), decision("Graffiti", 3, 10, "warning")], kind="resolved"
    )
    assert (
        both.subject
        == "[RESOLVED] 2 streets backlogs: Pothole 80, no longer > 100; Graffiti 3, no longer > 10"
    )


def test_the_check_before_a_run_renders_the_escalations_a_department_hears():
    """The City Manager has no rule of its own, yet hears the escalation: its DisplayName must leave room
    for that SMS before the run starts, not fail the alert check after the sync."""
    from backlog_alerts.alerting.messages import check_messages
    from backlog_alerts.alerting.rules import parse_rules

    service = "Street Light Out of Service Including Poles and Fixtures Downtown"
    names = {
        "streets": "Streets",
        "city_manager": "Office of the City Manager of San Diego County California",
    }
    escalating = {"name": "lights", "service_name": service, "department": "streets", "threshold": 100}
    escalating |= {"escalate_after": 3, "escalate_to": "city_manager"}
    check_messages(
        parse_rules([{**escalating, "escalate_after": None, "escalate_to": None}], names),
        names,
        check_templates({}),
    )
    with pytest.raises(MessageError, match="departments.city_manager: the DisplayName"):
        check_messages(parse_rules([escalating], names), names, check_templates({}))
