import csv
import io
from collections import defaultdict

import pytest
from helpers import text_source
from hypothesis import given, settings
from hypothesis import strategies as st

from backlog_alerts.io.sources import SourceError
from backlog_alerts.sync.cells import endpoint_key, normalize_phone
from backlog_alerts.sync.contacts import ContactsError, masked_rows, parse_contacts
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
        ("555-01", r"not a valid US number \(read in US, the default_phone_region"),
        ("+1 555-01", r"not a valid number for \+1$"),
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


def test_optional_alerts_column_chooses_severities_and_a_value_it_cannot_read_rejects_the_row():
    text = "Name,Email,Phone,Department,alerts\nA,a@example.gov,,trash,Critical\nB,b@example.gov,,trash,\nC,c@example.gov,,trash,sometimes\n"
    result = parse(text)
    assert result.has_alerts_column and result.ignored_columns == []
    assert [c.alerts for c in result.contacts] == ["critical", "all"]
    assert [str(p) for p in result.problems] == [
        "row 4, Alerts: 'sometimes' is not one of all, critical; its subscriptions stay as they are until "
        "it is (row rejected)"
    ]
    assert result.rejected_rows == [4] and result.kept_endpoints == {("email", "c@example.gov")}
    assert not parse(HEADER + "A,a@example.gov,,trash\n").has_alerts_column


# --- the cell grammar: cells as people type them ----------------------------------------------------

ALERTS_HEADER = "Name,Email,Phone,Department,Alerts\n"


@pytest.mark.parametrize(
    "row",
    [
        "'Mia Tanaka,'mtanaka@example.gov,'+16195550100,'trash,'critical",  # text-forcing apostrophes
        '" \'Mia Tanaka"," \'mtanaka@example.gov ","  \'+16195550100"," \'trash"," \'critical"',
        '="Mia Tanaka",="mtanaka@example.gov",="+16195550100",="trash",="critical"',  # Excel text formula
        "\u00a0Mia Tanaka\u200b,MTanaka@EXAMPLE.gov\u00a0,(619) 555-0100,TRASH,Critical",
    ],
)
def test_text_forcing_marks_and_stray_spaces_are_not_part_of_the_value(row):
    result = parse(ALERTS_HEADER + row + "\n")
    assert result.problems == []
    (contact,) = result.contacts
    assert (contact.name, contact.email.casefold(), contact.phone, contact.department, contact.alerts) == (
        "Mia Tanaka",
        "mtanaka@example.gov",
        "+16195550100",
        "trash",
        "critical",
    )


def test_an_apostrophe_inside_an_address_is_kept():
    (contact,) = parse(HEADER + "Pat,o'brien@example.gov,,trash\n").contacts
    assert contact.email == "o'brien@example.gov"


@pytest.mark.parametrize(
    "placeholder", ["-", "--", "n/a", "N/A", "na", "None", "TBD", "null", "?", "—", " - "]
)
def test_a_placeholder_means_no_value_for_that_endpoint_only(placeholder):
    text = HEADER + f"A,{placeholder},+16195550100,trash\nB,b@example.gov,{placeholder},streets\n"
    result = parse(text)
    assert [(c.email, c.phone) for c in result.contacts] == [("", "+16195550100"), ("b@example.gov", "")]
    assert result.problems == [] and result.rejected_endpoints == {}


def test_placeholders_in_both_endpoints_leave_nothing_to_subscribe():
    result = parse(HEADER + "A,n/a,-,trash\n")
    assert [str(p) for p in result.problems] == [
        "row 2, Email/Phone: no valid email or phone left (row rejected)"
    ]


def test_a_placeholder_name_or_department_rejects_the_row_and_says_so():
    result = parse(HEADER + "-,a@example.gov,,trash\nB,b@example.gov,,N/A\n")
    assert [str(p) for p in result.problems] == [
        "row 2, Name: '-' is a placeholder, not a name (row rejected)",
        "row 3, Department: 'N/A' is not one of trash, streets (row rejected)",
    ]
    assert result.rejected_endpoints == {("email", "a@example.gov"): 2, ("email", "b@example.gov"): 3}


def test_a_placeholder_in_alerts_means_all():
    result = parse(ALERTS_HEADER + "A,a@example.gov,,trash,n/a\n")
    assert [c.alerts for c in result.contacts] == ["all"] and result.problems == []


def test_a_file_without_the_alerts_column_wants_all_alerts_for_everyone():
    topics = {"trash": Topic("trash", "trash_notifications", "arn:trash")}
    result = parse(HEADER + "A,a@example.gov,+16195550100,trash\n")
    assert not result.has_alerts_column
    assert {w.filter_policy for w in wanted_subscriptions(result.contacts, topics)} == {"{}"}


# --- a number without +country is read in default_phone_region, and must be valid there --------------


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("1 619 555 0100", "US", "+16195550100"),
        ("+1 204 234 5678", "US", "+12042345678"),  # Canadian, and says so with +1: fine
        ("020 7946 0018", "GB", "+442079460018"),
        ("011 44 20 7946 0018", "US", "+442079460018"),  # dialled from the US: it has its country code
    ],
)
def test_numbers_valid_where_they_are_read(written, region, e164):
    assert normalize_phone(written, region) == e164


def test_a_number_that_only_shares_the_regions_calling_code_is_refused_naming_the_region():
    result = parse(HEADER + "A,a@example.gov,(204) 234-5678,trash\n")
    assert [str(p) for p in result.problems] == [
        "row 2, Phone: '(2********5678' is not a valid US number (read in US, the default_phone_region; "
        "a number from elsewhere needs its +country code) (endpoint dropped)"
    ]
    assert normalize_phone("(204) 234-5678", "CA") == "+12042345678"


# --- a person listed twice --------------------------------------------------------------------------


def test_same_settings_twice_is_one_subscription_and_names_do_not_depend_on_order():
    topics = {"trash": Topic("trash", "trash_notifications", "arn:trash")}
    rows = ["Dana Okafor,dana@example.gov,,trash,critical", '"Okafor, Dana",DANA@example.gov,,trash,Critical']
    results = [parse(ALERTS_HEADER + "\n".join(order) + "\n") for order in (rows, rows[::-1])]
    wanted = [wanted_subscriptions(r.contacts, topics) for r in results]
    assert all(r.problems == [] for r in results)
    assert wanted[0] == wanted[1]
    (only,) = wanted[0]
    assert (only.name, only.endpoint, only.filter_policy) == (
        "Dana Okafor / Okafor, Dana",
        "DANA@example.gov",
        '{"severity": ["critical"]}',
    )


def test_one_endpoint_listed_with_different_alerts_rejects_every_row_involved():
    text = ALERTS_HEADER + (
        "Dana,dana@example.gov,+16195550101,streets,critical\n"
        "Lee,lee@example.gov,,streets,\n"
        "Dana,dana@example.gov,+16195550102,streets,all\n"
        "Dana,dana@example.gov,,trash,critical\n"  # another department: another topic, no conflict
    )
    result = parse(text)
    assert [(c.row, c.department) for c in result.contacts] == [(3, "streets"), (5, "trash")]
    assert [str(p) for p in result.problems] == [
        "row 2, Alerts: 'critical' differs from row 4, which lists d*****@example.gov in streets too "
        "(all vs critical); its subscription stays as it is until the rows agree (row rejected)",
        "row 4, Alerts: 'all' differs from row 2, which lists d*****@example.gov in streets too "
        "(all vs critical); its subscription stays as it is until the rows agree (row rejected)",
    ]
    assert result.rejected_endpoints == {
        ("email", "dana@example.gov"): 2,
        ("sms", "+16195550101"): 2,
        ("sms", "+16195550102"): 4,
    }
    assert result.kept_endpoints == {
        ("email", "dana@example.gov"),
        ("sms", "+16195550101"),
        ("sms", "+16195550102"),
    }


@pytest.mark.parametrize("typed", ["critical only", "crit", "urgent", "Critical-only"])
def test_an_unreadable_alerts_value_keeps_the_endpoints_of_its_row_and_of_rows_listing_them_too(typed):
    text = ALERTS_HEADER + (
        f"Dana,dana@example.gov,+16195550101,streets,{typed}\n"
        "Dana,dana@example.gov,,streets,all\n"  # the same address: what Dana wants is not known
        "Lee,lee@example.gov,,streets,\n"
        ",,+16195550102,streets,urgent\n"  # rejected for its name too: its number is kept all the same
    )
    result = parse(text)
    assert [c.row for c in result.contacts] == [4]
    assert result.rejected_rows == [2, 3, 5]
    assert result.kept_endpoints == {
        ("email", "dana@example.gov"),
        ("sms", "+16195550101"),
        ("sms", "+16195550102"),
    }
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "Alerts"),
        (3, "Alerts"),
        (5, "Alerts"),
        (5, "Name"),
    ]


def test_a_blank_alerts_cell_conflicts_with_critical_because_it_means_all():
    text = ALERTS_HEADER + "Dana,,+16195550101,trash,critical\nDana,,6195550101,trash,\n"
    assert parse(text).rejected_rows == [2, 3]


# --- the property: order and decorations never change what a file means ------------------------------

NAMES = ["Dana Okafor", "Okafor, Dana", "Mia Tanaka"]
EMAILS = [f"person{i}@example.gov" for i in range(4)]
PHONES = [f"+1619555010{i}" for i in range(4)]
TOPICS = {d: Topic(d, f"{d}_notifications", f"arn:{d}") for d in DEPARTMENTS}
PLACEHOLDER_SPELLINGS = ["-", "--", "n/a", "N/A", "na", "none", "None", "TBD", "null", "?", "—"]


@st.composite
def people(draw):
    """Rows of valid cells, with the same email or phone on several rows (same or other settings)."""
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        email = draw(st.sampled_from(["", *EMAILS]))
        phone = draw(st.sampled_from(PHONES if not email else ["", *PHONES]))
        rows.append(
            {
                "Name": draw(st.sampled_from(NAMES)),
                "Email": email,
                "Phone": phone,
                "Department": draw(st.sampled_from(DEPARTMENTS)),
                "Alerts": draw(st.sampled_from(["all", "critical", "critical only"])),  # unreadable too
            }
        )
    return rows


def spelled(draw, column, value):
    """The same cell as a person might type it."""
    if column == "Alerts" and value == "all":
        value = draw(st.sampled_from(["all", ""]))  # a blank Alerts cell means all
    if not value:
        return draw(st.sampled_from(["", *PLACEHOLDER_SPELLINGS])).join(
            draw(st.sampled_from([("", ""), (" ", "  ")]))
        )
    if column == "Phone":
        national = f"({value[2:5]}) {value[5:8]}-{value[8:]}"
        value = draw(
            st.sampled_from([value, national, f"{value[2:5]}.{value[5:8]}.{value[8:]}", f"1 {national}"])
        )
    elif column != "Name":
        value = draw(st.sampled_from([value, value.upper(), value.title(), value.swapcase()]))
    kind = draw(st.sampled_from(["plain", "apostrophe", "spaced apostrophe", "text formula", "spaces"]))
    return {
        "plain": value,
        "apostrophe": f"'{value}",
        "spaced apostrophe": f"  '{value} ",
        "text formula": f'="{value}"',
        "spaces": f" \u00a0{value}\u200b ",
    }[kind]


def as_csv(rows, quoting=csv.QUOTE_MINIMAL):
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator="\n")
    writer.writerow(["Name", "Email", "Phone", "Department", "Alerts"])
    writer.writerows([r[c] for c in ("Name", "Email", "Phone", "Department", "Alerts")] for r in rows)
    return out.getvalue()


def meaning(text, original):
    """What a parsed file says, rows named by their place in the undecorated file."""
    parsed = parse(text)
    wanted = {
        (w.department, *endpoint_key(w.protocol, w.endpoint), w.filter_policy, w.name)
        for w in wanted_subscriptions(parsed.contacts, TOPICS)
    }
    problems = sorted((original[p.row], p.column, p.effect) for p in parsed.problems)
    return wanted, problems, {original[r] for r in parsed.rejected_rows}, parsed.kept_endpoints


@settings(max_examples=150, deadline=None)
@given(rows=people(), data=st.data())
def test_row_order_and_cell_decorations_never_change_what_the_file_means(rows, data):
    order = data.draw(st.permutations(range(len(rows))))
    typed = [{c: spelled(data.draw, c, v) for c, v in rows[i].items()} for i in order]
    quoting = data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    plain = meaning(as_csv(rows), {i + 2: i for i in range(len(rows))})
    decorated = meaning(as_csv(typed, quoting), {n + 2: i for n, i in enumerate(order)})
    assert decorated == plain
    # The very same cells in another order: the same subscriptions, spelled the same.
    assert wanted_subscriptions(parse(as_csv(typed[::-1])).contacts, TOPICS) == wanted_subscriptions(
        parse(as_csv(typed)).contacts, TOPICS
    )
    # And what it means: the rows listing one endpoint in one department with other Alerts are rejected,
    # and so is every row whose Alerts is unreadable.
    listed = defaultdict(set)
    for i, r in enumerate(rows):
        for protocol, column in (("email", "Email"), ("sms", "Phone")):
            if r[column]:
                listed[(r["Department"], protocol, r[column])].add(i)
    conflicting = {i for rs in listed.values() if len({rows[j]["Alerts"] for j in rs}) > 1 for i in rs}
    unreadable = {i for i, r in enumerate(rows) if r["Alerts"] == "critical only"}
    assert plain[2] == conflicting | unreadable


def test_an_address_or_number_typed_in_any_column_is_masked_in_its_problem():
    """A problem's value is masked when it is made, whatever column the cell came from."""
    text = HEADER + "Dana,dana@example.gov,,dana.whitfield@example.gov\nLee,lee@example.gov,,(619) 555-0142\n"
    problems = parse(text).problems
    shown = "; ".join(str(p) for p in problems)
    assert [p.column for p in problems] == ["Department", "Department"]
    assert "dana.whitfield@example.gov" not in shown and "555-0142" not in shown, shown
