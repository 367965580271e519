import hashlib
import json
from datetime import date

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlog_alerts.masking import mask_email, mask_endpoint, mask_phone, mask_text, mask_value


def test_email_keeps_first_letter_and_domain_only():
    assert mask_email("dana.whitfield@example.gov") == "d*****@example.gov"


def test_email_mask_hides_the_length_of_the_local_part():
    assert mask_email("a@x.gov") == mask_email("abcdefghij@x.gov").replace("a*****", "a*****")
    assert len(mask_email("abcdefghij@x.gov")) == len(mask_email("ab@x.gov"))


def test_an_email_cell_with_two_addresses_shows_neither():
    assert (
        mask_email("dana@example.gov; marcus.ortega@example.gov") == "d*****@example.gov; m*****@example.gov"
    )


def test_phone_keeps_country_prefix_and_last_four():
    assert mask_phone("+16195550100") == "+1******0100"


def test_short_or_malformed_values_are_fully_hidden():
    assert mask_phone("12345") == "*****"
    assert mask_email("no-at-sign") == "*****"


def test_endpoint_mask_follows_protocol_and_leaves_queue_arns():
    assert mask_endpoint("email", "bob@example.gov") == "b*****@example.gov"
    assert mask_endpoint("sms", "+16195550100") == "+1******0100"
    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    assert mask_endpoint("sqs", arn) == arn


# --- mask_text: the one free-text masker --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("dana.whitfield@example.gov", "d*****@example.gov"),
        ("<Dana.Whitfield@Example.GOV>", "<D*****@Example.GOV>"),
        ("'a@b.gov; c.d@e.org'", "'a*****@b.gov; c*****@e.org'"),  # two addresses in one cell
        ('"mtanaka@example.gov"', '"m*****@example.gov"'),
        ("'mtanaka@example.gov", "'m*****@example.gov"),  # a spreadsheet's text-forcing apostrophe
        ("mailto:dana%40example.gov", "mailto:d*****%40example.gov"),
        ("ops@city.example.museum", "o*****@city.example.museum"),
        ("+16195550101", "+1******0101"),
        ("+1 619 555 0101", "+1******0101"),
        ("(619) 555-0101", "+1******0101"),
        ("619.555.0101", "+1******0101"),
        ("619-555-0101", "+1******0101"),
        ("6195550101", "+1******0101"),
        ("1 619 555 0101", "+1******0101"),
        ("+44 20 7946 0958", "+4*******0958"),
        ("+447420500600", "+4*******0600"),
        ("6195550101 6195550102", "+1******0101 +1******0102"),
        ("(+44) 20 7946 0958", "+4*******0958"),
        ("07911 123456", "0******3456"),  # national forms of other countries: their trunk `0`
        ("020 7946 0958", "0******0958"),
        ("(020) 7946 0958", "0******0958"),
        ("04 12 34 56 78", "0*****5678"),
        ("04.12.34.56.78", "0*****5678"),
        ("030 12345678", "0******5678"),
        ("00447911123456", "+4*******3456"),  # the `00` international prefix
        ("0044 20 7946 0958", "+4*******0958"),
        ("ann.b@EXAMPLE", "a*****@EXAMPLE"),  # an intranet address: a domain of one label
        ("Dana@Intranet", "D*****@Intranet"),
    ],
)
def test_emails_and_phones_in_any_written_form_are_masked(text, masked):
    assert mask_text(text) == masked
    assert mask_text(f"found: {text}, row 3") == f"found: {masked}, row 3"


def test_the_columns_found_in_a_headerless_file_are_masked():
    error = "c.csv: missing column(s) Name (found: 'Dana', 'dana@example.gov', '+16195550101', 'trash')"
    assert (
        mask_text(error)
        == "c.csv: missing column(s) Name (found: 'Dana', 'd*****@example.gov', '+1******0101', 'trash')"
    )
    gb = "c.csv: missing column(s) Name (found: 'Ann', 'ann.b@EXAMPLE', '07911 123456', '00447911123456')"
    assert mask_text(gb) == (
        "c.csv: missing column(s) Name (found: 'Ann', 'a*****@EXAMPLE', '0******3456', '+4*******3456')"
    )


@pytest.mark.parametrize(
    "text",
    [
        "20261128T113230.712721Z",
        "2026-11-28T11:32:30.712721+00:00",
        "period 2019-03-01 14:00",
        "MessageId 206f6d51-1a3b-4c5d-8e9f-0123456789ab",
        'ETag "d41d8cd98f00b204e9800998ecf8427e"',
        "Pothole backlog 1234567 > 100",
        "pandas@2.2.10",
        "arn:aws:sns:us-east-1:123456789012:streets_notifications",
        "d*****@example.gov, +1******0101",
        "account 012345678901",
        "MessageId abcdefab-0123-4567-8901-abcdef012345",
        "runs/0123456789/manifest.json",
        "ratio 0.0123456789",
        "14:00:00.0123456789",
        "period 01/03/2019 14:00",
        "0  0  1  0  0  0  0  3  0  0",
        "0 0 1 0 0 0 0 3 0 0",
        "spend 2026-11@10.0@over",
        "HEAD@{0}",
        "arn:aws:sns:us-east-1:012345678901:streets_notifications",
    ],
)
def test_ids_counts_dates_and_masked_values_are_unchanged(text):
    assert mask_text(text) == text


@given(st.uuids())
def test_uuids_are_unchanged(value):
    assert mask_text(f"MessageId {value}.") == f"MessageId {value}."


@given(st.binary(max_size=64))
def test_hashes_are_unchanged(data):
    for digest in (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()):  # noqa: S324 - an ETag
        assert mask_text(f'"{digest}"') == f'"{digest}"'


@given(st.dates(date(1900, 1, 1), date(2199, 12, 31)), st.times())
def test_dates_and_timestamps_are_unchanged(day, time):
    for text in (day.isoformat(), f"{day.isoformat()}T{time.isoformat()}", f"{day} {time}", f"{day:%Y%m%d}"):
        assert mask_text(text) == text


@given(st.lists(st.integers(min_value=0, max_value=10**6 - 1), max_size=8))
def test_counts_are_unchanged(numbers):
    text = ", ".join(map(str, numbers)) + " open requests"
    assert mask_text(text) == text


@given(st.datetimes())
def test_run_ids_are_unchanged(moment):
    run_id = moment.strftime("%Y%m%dT%H%M%S.%fZ")
    assert mask_text(f"run {run_id}") == f"run {run_id}"


_LOCAL = st.from_regex(r"[a-z][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
_DOMAIN = st.from_regex(r"([a-z][a-z0-9-]{0,10}\.){0,3}[a-z]{2,8}", fullmatch=True)  # also `intranet`
_FILLER = st.text(st.sampled_from(list("abc XYZ,;:()[]'\"<>\n")), max_size=12)


@given(_FILLER, _LOCAL, _DOMAIN, _FILLER)
def test_no_email_survives_in_any_text(before, local, domain, after):
    address = f"{local}@{domain}"
    masked = mask_text(f"{before} {address}{after}")
    assert address not in masked
    assert mask_email(address) in masked


_NUMBERS = st.sampled_from(
    [
        "+1619555{:04d}",
        "+1212555{:04d}",
        "+44207946{:04d}",
        "+44791123{:04d}",
        "+3314123{:04d}",
        "+49301234{:04d}",
        "+6141234{:04d}",
    ]
)
_STYLES = ["e164", "national", "international", "00 international", "00 bare"]


@given(_FILLER, _NUMBERS, st.integers(0, 9999), st.sampled_from(_STYLES), _FILLER)
def test_no_phone_number_survives_in_any_text(before, pattern, last, style, after):
    """Any country's number, written with `+country`, `00` and country, or its trunk `0` (national)."""
    e164 = pattern.format(last)
    number = phonenumbers.parse(e164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    written = {
        "e164": e164,
        "national": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        "international": international,
        "00 international": "00" + international[1:],
        "00 bare": "00" + e164[1:],
    }[style]
    masked = mask_text(f"{before} {written} {after}")
    assert str(number.national_number) not in "".join(c for c in masked if c.isdigit())
    if style == "national" and not e164.startswith("+1"):  # no country in it: trunk `0`, last four digits
        assert "0" + "*" * (len(str(number.national_number)) - 4) + e164[-4:] in masked
    else:
        assert mask_phone(e164) in masked


@given(st.text(max_size=60))
def test_masking_twice_changes_nothing(text):
    once = mask_text(text)
    assert mask_text(once) == once


@given(
    st.sampled_from(list("=+-@'\"<(:;, /*")),
    st.from_regex(r"[a-z][a-z0-9._]{0,10}", fullmatch=True),
    st.sampled_from(["example.gov", "sd.ca.us", "x.org"]),
)
def test_a_masked_address_after_any_character_is_masked_once(before, local, domain):
    """A cell `=dana@x.gov` is shown `=*****@x.gov`; masking that text again must not change it."""
    once = mask_email(f"{before}{local}@{domain}")
    assert mask_text(once) == once


def test_mask_value_masks_every_string_but_keeps_keys_and_numbers():
    value = {"error": "dana@example.gov", "rows": [{"phone": "+16195550101", "count": 3}], "ok": True}
    assert mask_value(value) == {
        "error": "d*****@example.gov",
        "rows": [{"phone": "+1******0101", "count": 3}],
        "ok": True,
    }


# --- every sink of free text masks by construction ---------------------------------------------

CELL = "dana.whitfield@example.gov, +16195550101"
MASKED = "d*****@example.gov, +1******0101"


def test_an_error_is_masked_when_made():
    from backlog_alerts.errors import SourceError

    assert str(SourceError(f"c.csv: row 2 holds {CELL}")) == f"c.csv: row 2 holds {MASKED}"


def test_every_log_line_and_field_is_masked(capsys):
    import io

    from backlog_alerts.run.logs import RunLog

    out, err = io.StringIO(), io.StringIO()
    RunLog("json", out, err).error(f"bad {CELL}", value=CELL, count=3)
    RunLog("text", out, err).passed_on(f"kernel: {CELL}")
    assert CELL not in err.getvalue() and MASKED in err.getvalue()
    assert json.loads(err.getvalue().splitlines()[0])["value"] == MASKED


def test_the_cli_error_line_is_masked(monkeypatch, capsys):
    from backlog_alerts.errors import BacklogAlertsError
    from backlog_alerts.run import cli, review

    class Unmasked(BacklogAlertsError):  # a subclass whose text is made later, not when raised
        def __str__(self) -> str:
            return CELL

    def fail(args):
        raise Unmasked()

    monkeypatch.setattr(review, "audit", fail)  # what `audit` calls, imported when it is run
    assert cli.main(["audit"]) == 2
    assert capsys.readouterr().err == f"error: {MASKED}\n"


def test_recorded_facts_are_masked_in_every_view_and_ids_survive():
    from backlog_alerts.trail.facts import FACTS_MIME, bundle

    value = {"note": f"row 2: {CELL}", "message_id": "206f6d51-1a3b-4c5d-8e9f-0123456789ab", "count": 163}
    shown = bundle("problems", value)
    assert shown[FACTS_MIME]["value"] == {**value, "note": f"row 2: {MASKED}"}
    assert "dana.whitfield" not in shown["text/html"] + shown["text/plain"]


def test_executed_notebook_outputs_are_masked_but_images_are_not():
    import nbformat

    from backlog_alerts.trail.executed import mask_outputs

    cell = nbformat.v4.new_code_cell(
        outputs=[
            nbformat.v4.new_output("stream", name="stderr", text=f"warning: {CELL}"),
            nbformat.v4.new_output("error", ename="KeyError", evalue=CELL, traceback=[f"KeyError: {CELL}"]),
            nbformat.v4.new_output(
                "display_data", data={"text/html": f"<td>{CELL}</td>", "image/png": "+16195550101"}
            ),
        ]
    )
    notebook = nbformat.v4.new_notebook(cells=[cell])
    mask_outputs(notebook)
    stream, error, display = notebook.cells[0].outputs
    assert (
        stream.text == f"warning: {MASKED}"
        and error.evalue == MASKED
        and error.traceback == [f"KeyError: {MASKED}"]
    )
    assert display.data == {"text/html": f"<td>{MASKED}</td>", "image/png": "+16195550101"}


def test_a_headerless_contacts_file_is_named_so_and_its_first_row_masked():
    from helpers import text_source

    from backlog_alerts.errors import SourceError
    from backlog_alerts.io.sources import find_columns, read_csv_text

    frame = read_csv_text(text_source("Dana,dana.whitfield@example.gov,+16195550101,trash\n", "c.csv"))
    with pytest.raises(SourceError) as caught:
        find_columns(frame, ["Name", "Email", "Phone", "Department"], "c.csv")
    assert str(caught.value) == (
        "c.csv: missing column(s) Name, Email, Phone, Department (found: 'Dana', 'd*****@example.gov', "
        "'+1******0101', 'trash'); its first row holds an email or phone number: is the header row missing?"
    )


def test_an_ops_notice_is_masked_when_published():
    from backlog_alerts.alerting.ops import publish_ops_notice

    sent = {}

    class Sns:
        def publish(self, **request):
            sent.update(request)
            return {"MessageId": "m-1"}

    publish_ops_notice(Sns(), "arn:aws:sns:us-east-1:123456789012:ops", f"refused: {CELL}", f"Reason: {CELL}")
    assert (sent["Subject"], sent["Message"]) == (f"refused: {MASKED}", f"Reason: {MASKED}")


# --- the canary covers every contact the tests use (tests/integration/conftest.py) --------------


def _contacts_used():
    """Every email and phone-like value of the demo contacts, the corpus and helpers.directors()."""
    import re

    from helpers import CORPUS, directors

    from backlog_alerts.io.demo import demo_bytes

    texts = [demo_bytes("contacts.csv").decode()]
    texts += [p.read_bytes().decode("utf-8", errors="replace") for p in (CORPUS / "contacts").glob("*.csv")]
    for text in texts:
        yield from re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", text)
        for found in phonenumbers.PhoneNumberMatcher(text, "US"):
            yield found.raw_string
    for contact in directors(2000):
        yield from (contact.email, contact.phone)


def test_every_contact_the_tests_use_is_a_canary():
    from helpers import EXAMPLE_NUMBER, canary_leaks, canary_pattern

    pattern = canary_pattern()
    missed = {c for c in _contacts_used() if c != EXAMPLE_NUMBER and not canary_leaks(c, pattern)}
    assert missed == set()


@pytest.mark.parametrize(
    "written",
    [
        "dana.whitfield@example.gov",
        "DANA.WHITFIELD@EXAMPLE.GOV",
        "dana%40example.gov",
        "+16195550101",
        "16195550101",
        "6195550101",
        "(619) 555-0101",
        "619.555.0101",
        "+1 619 555 0101",
    ],
)
def test_the_canary_finds_a_contact_in_any_written_form_but_not_masked(written):
    from helpers import canary_leaks, canary_pattern

    assert canary_leaks(f"x {written} y", canary_pattern())
    assert not canary_leaks(f"x {mask_text(written)} y", canary_pattern())


def test_the_canary_finds_literals_of_the_test_module():
    from helpers import canary_leaks, canary_pattern

    pattern = canary_pattern('LISTED = "+447420500600"\nOTHER = "ann@city.test"')
    assert canary_leaks("07420 500600", pattern) and canary_leaks("ANN@city.test", pattern)
    assert not canary_leaks(mask_text("+447420500600 ann@city.test"), pattern)


@pytest.mark.parametrize(
    "pasted",
    [
        "+ 33 6 12 34 56 78",
        "06–12–34–56–78",
        "＋３３６１２３４５６７８",
        "+33 6\u202f12\u202f34\u202f56\u202f78",
    ],
)
def test_numbers_as_they_are_pasted_are_masked_like_their_plain_forms(pasted):
    """Full-width digits, typographic dashes, narrow spaces and `+ 33`: the parser reads them, so must the
    masker (they reached a notebook's problem table unmasked)."""
    masked = mask_text(f"row 8, Alerts: '{pasted}' is not one of all, critical")
    assert "5678" in masked and not any(
        part in masked for part in ("12 34", "12–34", "１２３４", "12\u202f34")
    )
