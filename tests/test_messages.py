import pytest

from backlog_alerts.evaluation import PUBLISH, Decision
from backlog_alerts.messages import SMS_LIMIT, MessageError, check_templates, plain_ascii, render


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
