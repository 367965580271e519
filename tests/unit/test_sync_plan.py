"""The planner is a pure function: listings (with pending rows moto never produces) in, plan out."""

import pytest

from backlog_alerts.sync.contacts import Problem
from backlog_alerts.sync.plan import SyncGuardError, check_removal_guard, plan_sync, summarize
from backlog_alerts.sync.subscriptions import FILTER_POLICIES, Existing, Wanted
from backlog_alerts.sync.topics import Topic

TOPICS = {
    "trash": Topic("trash", "trash_notifications", "arn:t"),
    "streets": Topic("streets", "streets_notifications", "arn:s"),
}


def want(dept, protocol, endpoint, name="N"):
    return Wanted(dept, TOPICS[dept].arn, protocol, endpoint, name)


def actions(plan):
    return sorted((c.department, c.action, c.protocol, c.endpoint, c.note) for c in plan)


def test_plan_adds_removes_keeps_and_leaves_foreign_subscriptions():
    wanted = [want("trash", "email", "a@example.gov"), want("trash", "sms", "+16195550100")]
    existing = {
        "trash": [
            Existing("email", "a@EXAMPLE.gov", "arn:t:1"),
            Existing("sms", "+16195550999", "arn:t:2"),
            Existing("sqs", "arn:aws:sqs:us-east-1:1:q", "arn:t:3"),
        ]
    }
    assert actions(plan_sync(TOPICS, wanted, existing)) == [
        ("trash", "add", "sms", "+16195550100", ""),
        ("trash", "remove", "sms", "+16195550999", "no longer in the contacts file"),
        ("trash", "unchanged", "email", "a@EXAMPLE.gov", ""),
        ("trash", "unmanaged", "sqs", "arn:aws:sqs:us-east-1:1:q", "not email/sms: left alone"),
    ]


def test_pending_confirmation_is_never_resubscribed_nor_removed():
    wanted = [want("streets", "email", "new@example.gov")]
    existing = {
        "streets": [
            Existing("email", "new@example.gov", "PendingConfirmation"),
            Existing("email", "gone@example.gov", "PendingConfirmation"),
        ]
    }
    plan = plan_sync(TOPICS, wanted, existing)
    assert actions(plan) == [
        (
            "streets",
            "pending",
            "email",
            "gone@example.gov",
            "not in the file; expires unconfirmed after 48 h",
        ),
        ("streets", "pending", "email", "new@example.gov", "awaiting confirmation"),
    ]


def test_moving_a_director_is_a_removal_on_one_topic_and_an_add_on_the_other():
    existing = {"trash": [Existing("email", "d@example.gov", "arn:t:1")], "streets": []}
    plan = plan_sync(TOPICS, [want("streets", "email", "d@example.gov")], existing)
    assert [(c.department, c.action) for c in plan] == [("trash", "remove"), ("streets", "add")]


def test_duplicate_listing_of_one_endpoint_keeps_one():
    existing = {"trash": [Existing("sms", "+16195550100", "arn:1"), Existing("sms", "+16195550100", "arn:2")]}
    plan = plan_sync(TOPICS, [want("trash", "sms", "+16195550100")], existing)
    assert [(c.action, c.subscription_arn) for c in plan] == [("unchanged", "arn:1"), ("remove", "arn:2")]


def existing_managed(n):
    return [Existing("sms", f"+1619555{i:04d}", f"arn:{i}") for i in range(n)]


@pytest.mark.parametrize(("kept", "refused"), [(10, False), (5, False), (4, True), (0, True)])
def test_guard_refuses_removing_more_than_the_share(kept, refused):
    wanted = [want("trash", "sms", f"+1619555{i:04d}") for i in range(kept)]
    plan = plan_sync(TOPICS, wanted, {"trash": existing_managed(10)})
    if refused:
        with pytest.raises(SyncGuardError, match=rf"trash: {10 - kept} of 10. Nothing was changed"):
            check_removal_guard(plan, 0.5, allow_mass_removal=False)
        check_removal_guard(plan, 0.5, allow_mass_removal=True)
    else:
        check_removal_guard(plan, 0.5, allow_mass_removal=False)


def test_summary_counts_per_topic_with_rejected_rows():
    existing = {"trash": existing_managed(3) + [Existing("sqs", "q", "arn:q")]}
    wanted = [want("trash", "sms", "+16195550000"), want("streets", "email", "x@example.gov")]
    problems = [
        Problem(4, "Name", "", "is empty", "row rejected", "trash"),
        Problem(5, "Phone", "", "bad", "endpoint dropped", "trash"),
        Problem(6, "Department", "Streets Dept", "is not one of trash, streets", "row rejected", ""),
    ]
    rows = summarize(plan_sync(TOPICS, wanted, existing), problems, ["trash", "streets"])
    assert rows == [
        {
            "department": "trash",
            "add": 0,
            "remove": 2,
            "update": 0,
            "unchanged": 1,
            "pending": 0,
            "unmanaged": 1,
            "held": 0,
            "rejected_rows": 1,
            "failed": 0,
        },
        {
            "department": "streets",
            "add": 1,
            "remove": 0,
            "update": 0,
            "unchanged": 0,
            "pending": 0,
            "unmanaged": 0,
            "held": 0,
            "rejected_rows": 0,
            "failed": 0,
        },
        {  # a row rejected for an unknown department is counted too
            "department": "(unknown department)",
            **dict.fromkeys(("add", "remove", "update", "unchanged", "pending", "unmanaged", "held"), 0),
            "rejected_rows": 1,
            "failed": 0,
        },
    ]


CRITICAL = FILTER_POLICIES["critical"]


@pytest.mark.parametrize(
    ("listed", "wanted", "expected"),
    [
        (None, CRITICAL, "unchanged"),  # not fetched (no Alerts column): never compared
        ("{}", "{}", "unchanged"),
        ("", "{}", "unchanged"),
        ('{"severity":["critical"]}', CRITICAL, "unchanged"),  # same JSON, other spacing
        ("{}", CRITICAL, "update"),
        (CRITICAL, "{}", "update"),
    ],
)
def test_filter_policy_changes_are_planned_as_updates(listed, wanted, expected):
    existing = {"trash": [Existing("sms", "+16195550100", "arn:1", listed)]}
    w = Wanted("trash", "arn:t", "sms", "+16195550100", "N", wanted)
    (change,) = plan_sync(TOPICS, [w], existing)
    assert change.action == expected
    if expected == "update":
        assert change.filter_policy == wanted and change.subscription_arn == "arn:1"


def contacts_file(text):
    from helpers import text_source

    from backlog_alerts.sync.contacts import parse_contacts

    return parse_contacts(text_source("Name,Email,Phone,Department\n" + text, "contacts.csv"), list(TOPICS))


def plan_for(text, existing, allow_mass_removal=False):
    from backlog_alerts.sync.plan import removal_holds
    from backlog_alerts.sync.subscriptions import wanted_subscriptions

    parsed = contacts_file(text)
    holds = removal_holds(parsed, TOPICS, allow_mass_removal)
    return plan_sync(TOPICS, wanted_subscriptions(parsed.contacts, TOPICS), existing, holds)


def test_phones_that_excel_turned_into_numbers_hold_sms_removals_instead_of_making_them():
    existing = {
        "trash": [
            Existing("email", "dana@example.gov", "arn:e1"),
            Existing("sms", "+16195550101", "arn:s1"),
            Existing("sms", "+16195550102", "arn:s2"),
        ]
    }
    excel = "Dana,dana@example.gov,1.61956E+10,trash\nLee,lee@example.gov,1.61956E+10,trash\n"
    plan = plan_for(excel, existing)
    held = [c for c in plan if c.action == "held"]
    assert [c.subscription_arn for c in held] == ["arn:s1", "arn:s2"]
    assert held[0].note == (
        "held: 2 row(s) that may be this department's have an invalid Phone (e.g. row 2: is a number in scientific "
        "notation: the column was formatted as a number in a spreadsheet, which loses digits; format the "
        "Phone column as Text and enter the numbers again); sms removals wait for a fixed file"
    )
    assert not [c for c in plan if c.action == "remove"]
    assert [c.action for c in plan if c.protocol == "email"] == ["unchanged", "add"]
    check_removal_guard(plan, 0.5, allow_mass_removal=False)  # held is not removed: nothing to refuse
    # Saying the file is right as it is lets the removals through (and the guard judge them).
    forced = plan_for(excel, existing, allow_mass_removal=True)
    assert [c.subscription_arn for c in forced if c.action == "remove"] == ["arn:s1", "arn:s2"]


def test_an_invalid_phone_in_one_department_holds_only_that_departments_sms_removals():
    existing = {
        "trash": [Existing("sms", "+16195550101", "arn:t1")],
        "streets": [Existing("sms", "+16195550102", "arn:s1")],
    }
    plan = plan_for("Dana,dana@example.gov,555-01,trash\nLee,lee@example.gov,,streets\n", existing)
    assert {(c.department, c.action) for c in plan if c.protocol == "sms"} == {
        ("trash", "held"),
        ("streets", "remove"),
    }


def test_a_rejected_row_never_unsubscribes_the_endpoints_it_still_lists():
    existing = {
        "streets": [
            Existing("email", "dana@example.gov", "arn:e1"),
            Existing("sms", "+16195550101", "arn:s1"),
        ]
    }
    plan = plan_for(
        "Dana,Dana@Example.gov,619-555-0101,Streets Dept\nLee,lee@example.gov,,streets\n", existing
    )
    held = {c.subscription_arn: c.note for c in plan if c.action == "held"}
    assert held == {
        "arn:e1": "held: row 2 still lists it but was rejected (Department: is not one of trash, streets)",
        "arn:s1": "held: row 2 still lists it but was rejected (Department: is not one of trash, streets)",
    }


def test_email_case_is_one_mailbox_kept_as_subscribed_and_listed_once():
    existing = {"trash": [Existing("email", "Dana.Okafor@x.gov", "arn:1")]}
    plan = plan_for("Dana,dana.okafor@x.gov,,trash\nDana O,DANA.OKAFOR@X.GOV,,trash\n", existing)
    assert [(c.action, c.endpoint, c.subscription_arn) for c in plan] == [
        ("unchanged", "Dana.Okafor@x.gov", "arn:1")
    ]


def test_case_duplicates_on_sns_keep_a_confirmed_one_and_leave_a_pending_one():
    existing = {
        "trash": [
            Existing("email", "dana@x.gov", "PendingConfirmation"),
            Existing("email", "Dana@x.gov", "arn:1"),
            Existing("email", "DANA@x.gov", "arn:2"),
        ]
    }
    plan = plan_sync(TOPICS, [want("trash", "email", "dana@x.gov")], existing)
    assert [(c.action, c.subscription_arn) for c in plan] == [
        ("unchanged", "arn:1"),
        ("remove", "arn:2"),
        ("pending", "PendingConfirmation"),
    ]


# --- properties over generated contacts files -----------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PHONE_SPELLINGS = ("+1619555{n}", "(619) 555-{n}", "619.555.{n}", "+1 619 555 {n}", "619555{n}")


@st.composite
def directors(draw):
    """Distinct directors: (index, department, has email, has phone), each with at least one."""
    count = draw(st.integers(1, 12))
    reach = [(True, False), (False, True), (True, True)]
    return [(i, draw(st.sampled_from(list(TOPICS))), *draw(st.sampled_from(reach))) for i in range(count)]


def row(i, dept, email, phone, draw_case=str.lower, spelling=PHONE_SPELLINGS[0]):
    address = draw_case(f"Director.{i}@Example.gov") if email else ""
    number = spelling.format(n=f"{100 + i:04d}") if phone else ""
    return f"Director {i},{address},{number},{dept}"


def synced(text):
    """The subscriptions a first sync of `text` leaves on SNS, as ListSubscriptionsByTopic shows them."""
    plan = plan_for(text, {})
    return apply_to_listing({}, plan)


def apply_to_listing(existing, plan):
    """What SNS would list after the plan's adds and removals (confirmed at once, as moto does)."""
    listing = {d: list(subs) for d, subs in existing.items()}
    for number, c in enumerate(plan):
        if c.action == "add":
            listing.setdefault(c.department, []).append(Existing(c.protocol, c.endpoint, f"arn:new:{number}"))
        elif c.action == "remove":
            listing[c.department] = [
                s for s in listing[c.department] if s.subscription_arn != c.subscription_arn
            ]
    return listing


CHANGES = ("add", "remove", "update")


@settings(max_examples=150, deadline=None)
@given(people=directors(), data=st.data())
def test_a_re_formatted_file_with_the_same_people_plans_no_change_and_planning_twice_is_a_no_op(people, data):
    text = "\n".join(row(i, d, e, p) for i, d, e, p in people) + "\n"
    listing = synced(text)
    assert not [c for c in plan_for(text, listing) if c.action in CHANGES], "planning twice is a no-op"
    # The same people as another export would write them: case, phone spellings, order, spaces, CRLF.
    cases = (str.lower, str.upper, str, str.swapcase)
    rows = [
        row(
            i,
            d.upper() if data.draw(st.booleans()) else d,
            e,
            p,
            data.draw(st.sampled_from(cases)),
            data.draw(st.sampled_from(PHONE_SPELLINGS)),
        )
        for i, d, e, p in people
    ]
    rows = data.draw(st.permutations(rows))
    newline = data.draw(st.sampled_from(["\n", "\r\n"]))
    again = newline.join(r.replace(",", data.draw(st.sampled_from([",", ", "]))) for r in rows) + newline
    assert [(c.action, c.endpoint) for c in plan_for(again, listing) if c.action in CHANGES] == []


CORRUPTIONS = {
    "excel phone": lambda i, d: f"Director {i},director.{i}@example.gov,1.61956E+10,{d}",
    "bad email": lambda i, d: f"Director {i},director.{i}@,+1619555{100 + i:04d},{d}",
    "bad department": lambda i, d: f"Director {i},director.{i}@example.gov,+1619555{100 + i:04d},{d} Dept",
    "no name": lambda i, d: f",director.{i}@example.gov,+1619555{100 + i:04d},{d}",
}


@settings(max_examples=150, deadline=None)
@given(people=directors(), data=st.data())
def test_invalid_endpoints_never_cause_a_removal(people, data):
    people = [(i, d, True, True) for i, d, _, _ in people]
    listing = synced("\n".join(row(i, d, True, True) for i, d, _, _ in people) + "\n")
    fate = {i: data.draw(st.sampled_from(["kept", "deleted", *CORRUPTIONS])) for i, _, _, _ in people}
    lines = [
        CORRUPTIONS[fate[i]](i, d) if fate[i] in CORRUPTIONS else row(i, d, True, True)
        for i, d, _, _ in people
        if fate[i] != "deleted"
    ]
    if not lines:
        return
    plan = plan_for("\n".join(lines) + "\n", listing)
    for c in plan:
        if c.action == "remove":
            owner = (
                int(c.endpoint.lower().split("@")[0].split(".")[-1])
                if c.protocol == "email"
                else int(c.endpoint[-4:]) - 100
            )
            assert fate[owner] == "deleted", f"{c.protocol} of a {fate[owner]} row was removed"
    assert all(c.action in ("unchanged", "held", "remove") for c in plan), "nothing new is subscribed"


def test_a_placeholder_email_removes_that_email_and_holds_nothing():
    existing = {
        "trash": [Existing("email", "dana@example.gov", "arn:e"), Existing("sms", "+16195550101", "arn:s")]
    }
    plan = plan_for("Dana,-,+16195550101,trash\n", existing)
    assert actions(plan) == [
        ("trash", "remove", "email", "dana@example.gov", "no longer in the contacts file"),
        ("trash", "unchanged", "sms", "+16195550101", ""),
    ]


def test_an_apostrophe_before_an_address_keeps_its_subscription():
    existing = {"trash": [Existing("email", "mtanaka@example.gov", "arn:e")]}
    assert actions(plan_for("Mia,'mtanaka@example.gov,,trash\n", existing)) == [
        ("trash", "unchanged", "email", "mtanaka@example.gov", "")
    ]


def test_a_file_without_the_alerts_column_removes_filter_policies_and_the_plan_says_so():
    existing = {"trash": [Existing("sms", "+16195550101", "arn:s", CRITICAL)]}
    (change,) = plan_for("Dana,,+16195550101,trash\n", existing)
    assert (change.action, change.filter_policy) == ("update", "{}")
    assert change.note == f"filter policy {CRITICAL} -> {{}} (removed: this file asks for all alerts)"


CONFLICT = (
    "Dana,dana@example.gov,,trash,critical\n"
    "Lee,lee@example.gov,,trash,\n"
    "Dana again,dana@example.gov,,trash,all\n"
)


@pytest.mark.parametrize("allow_mass_removal", [False, True])
@pytest.mark.parametrize("order", [1, -1])
def test_a_conflicting_duplicate_keeps_its_subscription_as_it_is(allow_mass_removal, order):
    from helpers import text_source

    from backlog_alerts.sync.contacts import parse_contacts
    from backlog_alerts.sync.plan import removal_holds
    from backlog_alerts.sync.subscriptions import wanted_subscriptions

    header, *rows = ("Name,Email,Phone,Department,Alerts\n" + CONFLICT).splitlines()
    text = "\n".join([header, *rows[::order]]) + "\n"
    parsed = parse_contacts(text_source(text, "contacts.csv"), list(TOPICS))
    holds = removal_holds(parsed, TOPICS, allow_mass_removal)
    existing = {"trash": [Existing("email", "dana@example.gov", "arn:e", CRITICAL)]}
    plan = plan_sync(TOPICS, wanted_subscriptions(parsed.contacts, TOPICS), existing, holds)
    assert [(c.action, c.endpoint, c.subscription_arn) for c in plan] == [
        ("held", "dana@example.gov", "arn:e"),  # neither removed nor its filter changed
        ("add", "lee@example.gov", ""),
    ]
    assert plan[0].note.startswith(
        "held: row 2 still lists it but was rejected (Alerts: differs from row 4, which lists d*****@"
    )
    # Listed nowhere yet: not added either.
    fresh = plan_sync(TOPICS, wanted_subscriptions(parsed.contacts, TOPICS), {}, holds)
    assert [(c.action, c.endpoint) for c in fresh] == [("add", "lee@example.gov")]


@pytest.mark.parametrize("allow_mass_removal", [False, True])
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("critical only", "held"),
        ("crit", "held"),
        ("urgent", "held"),
        ("critical", "unchanged"),
        ("Critical", "unchanged"),
        ("all", "update"),
        ("", "update"),
        ("n/a", "update"),
    ],
)
def test_an_alerts_value_the_tool_cannot_read_keeps_the_filter_it_has(typed, expected, allow_mass_removal):
    """Only an Alerts cell that says all, is empty or a placeholder removes a critical-only filter."""
    from helpers import text_source

    from backlog_alerts.sync.contacts import parse_contacts
    from backlog_alerts.sync.plan import removal_holds
    from backlog_alerts.sync.subscriptions import wanted_subscriptions

    text = f"Name,Email,Phone,Department,Alerts\nDana,dana@example.gov,,trash,{typed}\nLee,lee@example.gov,,trash,\n"
    parsed = parse_contacts(text_source(text, "contacts.csv"), list(TOPICS))
    holds = removal_holds(parsed, TOPICS, allow_mass_removal)
    existing = {"trash": [Existing("email", "dana@example.gov", "arn:e", CRITICAL)]}
    plan = plan_sync(TOPICS, wanted_subscriptions(parsed.contacts, TOPICS), existing, holds)
    dana = next(c for c in plan if c.endpoint == "dana@example.gov")
    assert dana.action == expected
    assert ("this file asks for all alerts" in dana.note) == (expected == "update")
    if expected == "held":
        assert dana.note == (
            "held: row 2 still lists it but was rejected (Alerts: is not one of all, critical; its "
            "subscriptions stay as they are until it is)"
        )
        summary = summarize(plan, parsed.problems, TOPICS)
        assert (summary[0]["department"], summary[0]["held"], summary[0]["rejected_rows"]) == ("trash", 1, 1)
        # Listed nowhere yet: not added either.
        fresh = plan_sync(TOPICS, wanted_subscriptions(parsed.contacts, TOPICS), {}, holds)
        assert [(c.action, c.endpoint) for c in fresh] == [("add", "lee@example.gov")]


@pytest.mark.parametrize(
    ("listed", "scope", "wanted", "expected"),
    [
        (CRITICAL, "MessageBody", CRITICAL, "update"),  # reads severity in the body, where none is
        (CRITICAL, "MessageAttributes", CRITICAL, "unchanged"),
        (CRITICAL, None, CRITICAL, "unchanged"),  # no scope: SNS's default, MessageAttributes
        ("{}", "MessageBody", CRITICAL, "update"),
        (CRITICAL, "MessageBody", "{}", "update"),  # the policy goes: its scope does nothing then
        ("{}", "MessageBody", "{}", "unchanged"),
    ],
)
def test_a_filter_policy_read_from_the_message_body_is_set_back_to_the_attributes(
    listed, scope, wanted, expected
):
    from backlog_alerts.sync.apply import apply_plan

    existing = {"trash": [Existing("sms", "+16195550100", "arn:1", listed, scope)]}
    (change,) = plan_sync(TOPICS, [Wanted("trash", "arn:t", "sms", "+16195550100", "N", wanted)], existing)
    assert change.action == expected
    calls = []

    class Sns:
        def set_subscription_attributes(self, **request):
            calls.append((request["AttributeName"], request["AttributeValue"]))

    (done,) = apply_plan(Sns(), [change])
    if expected == "unchanged":
        assert calls == []
    elif wanted == CRITICAL:
        assert change.note == f"filter policy {listed} on MessageBody -> {CRITICAL} on MessageAttributes"
        assert calls == [("FilterPolicyScope", "MessageAttributes"), ("FilterPolicy", CRITICAL)]  # this order
        assert done.result == "updated"
    else:
        assert change.note == f"filter policy {CRITICAL} -> {{}} (removed: this file asks for all alerts)"
        assert calls == [("FilterPolicy", "{}")]
