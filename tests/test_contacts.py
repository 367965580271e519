import pytest
from conftest import text_source

from backlog_alerts.contacts import ContactsError, masked_rows, parse_contacts
from backlog_alerts.sources import SourceError
from backlog_alerts.subscriptions import wanted_subscriptions
from backlog_alerts.topics import Topic

DEPARTMENTS = ["trash", "streets"]


def test_real_world_layout_bom_crlf_and_spaces_after_commas():
    text = (
        "\ufeffName, Email, Phone, Department\r\n"
        "John Smith, js@Example.GOV, +16195550100, trash\r\n"
        "Ann Lee, ann@example.gov, (619) 555-0101, Streets\r\n"
    )
    contacts = parse_contacts(text_source(text), DEPARTMENTS)
    assert [(c.row, c.name, c.email, c.phone, c.department) for c in contacts] == [
        (2, "John Smith", "js@example.gov", "+16195550100", "trash"),
        (3, "Ann Lee", "ann@example.gov", "+16195550101", "streets"),
    ]


def test_headers_match_case_insensitively_and_extra_columns_are_ignored():
    text = " name ,EMAIL,phone,department,Notes\nA B,a@example.gov,+16195550100,trash,x\n"
    (contact,) = parse_contacts(text_source(text), DEPARTMENTS)
    assert contact.email == "a@example.gov"


def test_phone_stays_text_with_its_plus_and_leading_digits():
    text = "Name,Email,Phone,Department\nA,,+442079460018,trash\n"
    (contact,) = parse_contacts(text_source(text), DEPARTMENTS)
    assert contact.phone == "+442079460018"
    assert contact.email == ""


def test_every_bad_row_is_reported_with_row_and_column_and_masked():
    text = (
        "Name,Email,Phone,Department\n"
        "Good,good@example.gov,+16195550100,trash\n"
        ",x@example.gov,+16195550101,trash\n"
        "Bad Mail,secret-person@@example.gov,+16195550102,trash\n"
        "Bad Phone,p@example.gov,555,trash\n"
        "Lost,l@example.gov,+16195550103,parks\n"
    )
    with pytest.raises(ContactsError) as caught:
        parse_contacts(text_source(text, "s3://b/contacts.csv"), DEPARTMENTS)
    message = str(caught.value)
    assert message.startswith("s3://b/contacts.csv: 4 problem(s)")
    assert "row 3, Name: empty" in message
    assert "row 4, Email" in message and "secret-person" not in message
    assert "row 5, Phone" in message
    assert "row 6, Department: 'parks'" in message


def test_missing_required_column_names_file_and_column():
    with pytest.raises(SourceError, match=r"c\.csv: missing column\(s\) Phone"):
        parse_contacts(text_source("Name,Email,Department\nA,a@example.gov,trash\n", "c.csv"), DEPARTMENTS)


def test_empty_file_is_an_error():
    with pytest.raises(SourceError, match="empty"):
        parse_contacts(text_source(""), DEPARTMENTS)


def test_a_real_file_that_is_not_a_contacts_file_is_refused(real_file):
    path = real_file("gid_meta/get_it_done_requests_dictionary_datasd__melissamonroe.csv")
    source = text_source(path.read_bytes().decode("utf-8"), str(path))
    with pytest.raises(SourceError, match=r"missing column\(s\) Name, Email, Phone, Department"):
        parse_contacts(source, DEPARTMENTS)


def test_masked_rows_hold_no_full_endpoint():
    text = "Name,Email,Phone,Department\nA,alice@example.gov,+16195550100,trash\n"
    (row,) = masked_rows(parse_contacts(text_source(text), DEPARTMENTS))
    assert row["email"] == "a*****@example.gov" and row["phone"] == "+1******0100"


def test_same_person_twice_wants_each_endpoint_once():
    text = (
        "Name,Email,Phone,Department\n"
        "A,a@example.gov,+16195550100,trash\n"
        "A again,a@EXAMPLE.GOV,619-555-0100,trash\n"
    )
    contacts = parse_contacts(text_source(text), DEPARTMENTS)
    topics = {"trash": Topic("trash", "trash_notifications", "arn:trash")}
    wanted = wanted_subscriptions(contacts, topics)
    assert sorted((w.protocol, w.endpoint) for w in wanted) == [
        ("email", "a@example.gov"),
        ("sms", "+16195550100"),
    ]
