import pytest
from helpers import text_source

from backlog_alerts.io.sources import SourceError
from backlog_alerts.sync.contacts import ContactsError, masked_rows, normalize_phone, parse_contacts
from backlog_alerts.sync.subscriptions import wanted_subscriptions
from backlog_alerts.sync.topics import Topic

DEPARTMENTS = ["trash", "streets"]
HEADER = "Name,Email,Phone,Department\n"


def parse(text, **kwargs):
    return parse_contacts(text_source(text, "contacts.csv"), DEPARTMENTS, **kwargs)


def test_real_world_layout_bom_crlf_blank_lines_and_spaces_after_commas():
    text = (
        "\ufeffName, Email, Phone, Department\r\n"
        "John Smith, js@Example.GOV, +16195550100, trash\r\n"
        "\r\n"
        "Ann Lee , ann@example.gov , (619) 555-0101 , Streets \r\n"
    )
    result = parse(text)
    assert [(c.row, c.name, c.email, c.phone, c.department) for c in result.contacts] == [
        (2, "John Smith", "js@example.gov", "+16195550100", "trash"),
        (4, "Ann Lee", "ann@example.gov", "+16195550101", "streets"),
    ]
    assert result.problems == []


def test_headers_match_case_insensitively_and_extra_columns_are_listed_as_ignored():
    text = " name ,EMAIL,phone,department,Notes, Title\nA B,a@example.gov,+16195550100,TRASH,x,y\n"
    result = parse(text)
    assert result.contacts[0].department == "trash"
    assert result.ignored_columns == ["Notes", "Title"]


@pytest.mark.parametrize("written", ["(619) 555-0100", "619.555.0100", "+1 619 555 0100", "6195550100"])
def test_phone_spellings_normalize_to_e164(written):
    assert normalize_phone(written, "US") == "+16195550100"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("619-555-CALL", "contains letters"),
        ("1.61956E+10", "scientific notation: the column was formatted as a number in a spreadsheet"),
        ("6.19555E9", "scientific notation"),
        ("555-01", "not a valid number"),
        ("", "did not seem to be a phone number"),
    ],
)
def test_bad_phones_are_refused_with_a_reason(written, reason):
    with pytest.raises(ValueError, match=reason):
        normalize_phone(written, "US")


def test_phone_stays_text_with_its_plus_and_a_row_may_have_only_a_phone():
    (contact,) = parse(HEADER + "A,,+442079460018,trash\n").contacts
    assert (contact.phone, contact.email) == ("+442079460018", "")


def test_a_bad_endpoint_drops_only_that_endpoint():
    result = parse(HEADER + "A,a@nodomain,+16195550100,trash\nB,b@example.gov,12,streets\n")
    assert [(c.email, c.phone) for c in result.contacts] == [("", "+16195550100"), ("b@example.gov", "")]
    assert [(p.row, p.column, p.effect) for p in result.problems] == [
        (2, "Email", "endpoint dropped"),
        (3, "Phone", "endpoint dropped"),
    ]
    assert result.rejected_rows == []


def test_rows_without_name_department_or_any_endpoint_are_rejected_whole_and_masked():
    text = HEADER + (
        "Good,good@example.gov,+16195550100,trash\n"
        ",x@example.gov,+16195550101,trash\n"
        "Lost,l@example.gov,+16195550103,parks\n"
        "Nobody,,,trash\n"
        "Bad Both,secret-person@@example.gov,555,streets\n"
    )
    result = parse(text)
    assert [c.name for c in result.contacts] == ["Good"]
    assert result.rejected_rows == [3, 4, 5, 6]
    shown = [str(p) for p in result.problems]
    assert "row 3, Name: is empty (row rejected)" in shown
    assert "row 4, Department: 'parks' is not one of trash, streets (row rejected)" in shown
    assert "row 5, Email/Phone: no valid email or phone left (row rejected)" in shown
    assert not any("secret-person" in s for s in shown)
    assert any(s.startswith("row 6, Email: 's*****@") for s in shown)
    # What the rejected rows still list, so that their directors are not unsubscribed for it.
    assert result.rejected_endpoints == {
        ("email", "x@example.gov"): 3,
        ("sms", "+16195550101"): 3,
        ("email", "l@example.gov"): 4,
        ("sms", "+16195550103"): 4,
    }


def test_on_invalid_row_fail_stops_everything_and_names_rows():
    with pytest.raises(ContactsError, match=r"contacts.csv: 1 problem\(s\): row 3, Department: 'parks'"):
        parse(HEADER + "A,a@example.gov,,trash\nB,b@example.gov,,parks\n", on_invalid_row="fail")


def test_missing_required_column_names_file_and_column():
    with pytest.raises(SourceError, match=r"contacts.csv: missing column\(s\) Phone"):
        parse("Name,Email,Department\nA,a@example.gov,trash\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "the file is empty"), (HEADER, "only a header"), ("\n\n", "the file is empty")],
)
def test_empty_files_are_errors(text, expected):
    with pytest.raises(SourceError, match=expected):
        parse(text)


def test_a_real_file_that_is_not_a_contacts_file_is_refused(real_file):
    path = real_file("gid_meta/get_it_done_requests_dictionary_datasd__melissamonroe.csv")
    source = text_source(path.read_bytes().decode("utf-8"), str(path))
    with pytest.raises(SourceError, match=r"missing column\(s\) Name, Email, Phone, Department"):
        parse_contacts(source, DEPARTMENTS)


def test_masked_rows_hold_no_full_endpoint():
    (row,) = masked_rows(parse(HEADER + "A,alice@example.gov,+16195550100,trash\n").contacts)
    assert row["email"] == "a*****@example.gov" and row["phone"] == "+1******0100"


def test_same_person_twice_wants_each_endpoint_once():
    text = HEADER + "A,a@example.gov,+16195550100,trash\nA again,a@EXAMPLE.GOV,619-555-0100,trash\n"
    topics = {"trash": Topic("trash", "trash_notifications", "arn:trash")}
    wanted = wanted_subscriptions(parse(text).contacts, topics)
    assert sorted((w.protocol, w.endpoint) for w in wanted) == [
        ("email", "a@example.gov"),
        ("sms", "+16195550100"),
    ]


def test_optional_alerts_column_chooses_severities_and_a_bad_value_falls_back_to_all():
    text = "Name,Email,Phone,Department,alerts\nA,a@example.gov,,trash,Critical\nB,b@example.gov,,trash,\nC,c@example.gov,,trash,sometimes\n"
    result = parse(text)
    assert result.has_alerts_column and result.ignored_columns == []
    assert [c.alerts for c in result.contacts] == ["critical", "all", "all"]
    assert [str(p) for p in result.problems] == [
        "row 4, Alerts: 'sometimes' is not one of all, critical (used 'all')"
    ]
    assert not parse(HEADER + "A,a@example.gov,,trash\n").has_alerts_column
