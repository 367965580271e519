"""The filter-policy matcher: AWS's documented examples, and agreement with moto's matcher (the oracle
the emulator delivers by) on generated policies and messages where moto follows the documentation."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.sns.utils import FilterPolicyMatcher

from backlog_alerts.sync.filter_policy import lets_through

# The example message of docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html
EXAMPLE = {
    "customer_interests": {"DataType": "String.Array", "StringValue": '["soccer", "rugby", "hockey"]'},
    "store": {"DataType": "String", "StringValue": "example_corp"},
    "event": {"DataType": "String", "StringValue": "order_placed"},
    "price_usd": {"DataType": "Number", "StringValue": "210.75"},
}


def attrs(**values):
    """Message attributes: str -> String, number -> Number, list -> String.Array."""
    out = {}
    for name, value in values.items():
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, str):
            out[name] = {"DataType": "String", "StringValue": value}
        else:
            out[name] = {"DataType": "Number", "StringValue": str(value)}
    return out


def passes(policy, attributes=None, body=None, scope=None):
    return lets_through(json.dumps(policy), scope, attributes or {}, body).passes


def test_the_documented_accepting_and_rejecting_policies():
    accepting = {
        "store": ["example_corp"],
        "event": [{"anything-but": "order_cancelled"}],
        "customer_interests": ["rugby", "football", "baseball"],
        "price_usd": [{"numeric": [">=", 100]}],
    }
    rejecting = {
        "store": ["example_corp"],
        "event": ["order_cancelled"],
        "encrypted": [False],
        "customer_interests": ["basketball", "baseball"],
    }
    assert passes(accepting, EXAMPLE) is True
    assert passes(rejecting, EXAMPLE) is False


def test_no_policy_or_an_empty_one_lets_everything_through():
    assert lets_through(None, None, {}, None).passes is True
    assert lets_through("{}", "MessageAttributes", attrs(severity="warning"), None).passes is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rugby", True),
        ("tennis", True),
        (["rugby", "tennis"], True),
        ("baseball", False),
        (["baseball"], False),
    ],
)
def test_exact_strings_match_a_string_or_any_element_of_a_string_array(value, expected):
    assert passes({"customer_interests": ["rugby", "tennis"]}, attrs(customer_interests=value)) is expected


def test_exact_strings_are_case_sensitive_and_never_equal_a_number():
    assert passes({"severity": ["critical"]}, attrs(severity="Critical")) is False
    assert passes({"price": ["100"]}, attrs(price=100)) is False
    assert passes({"price": [100]}, attrs(price="100")) is False


@pytest.mark.parametrize(
    ("value", "expected"), [("baseball", True), ("football", True), ("rugby", False), ("tennis", False)]
)
def test_anything_but_values(value, expected):
    policy = {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}
    assert passes(policy, attrs(customer_interests=value)) is expected
    assert passes(policy, attrs(other="x")) is False  # anything-but needs the attribute


def test_anything_but_on_an_array_is_settled_only_where_the_docs_agree():
    policy = {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}
    assert passes(policy, attrs(customer_interests=["baseball", "soccer"])) is True
    assert passes(policy, attrs(customer_interests=["rugby", "tennis"])) is False
    mixed = lets_through(json.dumps(policy), None, attrs(customer_interests=["rugby", "baseball"]), None)
    assert mixed.passes is None and "docs disagree" in mixed.why


@pytest.mark.parametrize(
    ("value", "expected"), [("data-entry", True), ("order_number", True), ("order-cancelled", False)]
)
def test_anything_but_a_prefix(value, expected):
    assert passes({"event": [{"anything-but": {"prefix": "order-"}}]}, attrs(event=value)) is expected


def test_anything_but_numbers():
    policy = {"price": [{"anything-but": [100, 500]}]}
    assert passes(policy, attrs(price=101)) is True and passes(policy, attrs(price=100.1)) is True
    assert passes(policy, attrs(price=100)) is False


@pytest.mark.parametrize(
    ("condition", "yes", "no"),
    [
        ({"prefix": "bas"}, ["baseball", "basketball"], ["rugby"]),
        ({"suffix": "ball"}, ["baseball", "basketball"], ["rugby"]),
        ({"equals-ignore-case": "tennis"}, ["TENNIS", "Tennis", "tennis"], ["baseball"]),
        ({"cidr": "10.0.0.0/24"}, ["10.0.0.0", "10.0.0.255"], ["10.1.1.0", "not an address"]),
    ],
)
def test_prefix_suffix_equals_ignore_case_and_cidr(condition, yes, no):
    for value in yes:
        assert passes({"k": [condition]}, attrs(k=value)) is True, value
    for value in no:
        assert passes({"k": [condition]}, attrs(k=value)) is False, value


def test_numeric_equality_and_ranges():
    assert passes({"price_usd": [{"numeric": ["=", 301.5]}]}, attrs(price_usd=3.015e2)) is True
    assert passes({"price_usd": [{"numeric": ["<", 0]}]}, attrs(price_usd=-1)) is True
    between = {"price_usd": [{"numeric": [">", 0, "<=", 150]}]}
    assert [passes(between, attrs(price_usd=v)) for v in (0, 0.5, 150, 150.01)] == [False, True, True, False]
    assert passes(between, attrs(price_usd="100")) is False  # a String is not a number


def test_exists_true_and_false():
    assert passes({"store": [{"exists": True}]}, EXAMPLE) is True
    assert passes({"encrypted": [{"exists": True}]}, EXAMPLE) is False
    assert passes({"store": [{"exists": False}]}, EXAMPLE) is False
    assert passes({"encrypted": [{"exists": False}]}, EXAMPLE) is True
    assert passes({"encrypted": [{"exists": False}]}, {}) is False  # SNS: no attributes at all, no match


def test_and_across_keys_or_within_a_key_and_the_or_operator():
    policy = {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}
    assert passes(policy, EXAMPLE) is True
    assert passes(policy, {**EXAMPLE, **attrs(price_usd=99)}) is False
    either = {
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
    }
    assert passes(either, attrs(source="aws.cloudwatch", namespace="AWS/EC2")) is True
    assert passes(either, attrs(source="aws.cloudwatch", metricName="CPUUtilization")) is True
    assert passes(either, attrs(source="aws.cloudwatch", namespace="AWS/S3")) is False


def test_the_critical_only_policy_the_sync_sets():
    critical_only = {"severity": ["critical"]}
    assert passes(critical_only, attrs(severity="warning", department="streets")) is False
    assert passes(critical_only, attrs(severity="critical", department="streets")) is True
    assert passes(critical_only, attrs(severity="resolved", department="streets")) is False


def test_body_scope_reads_nested_keys_and_arrays_of_objects():
    policy = {"store": ["example_corp"], "order": {"status": [{"prefix": "ship"}]}}
    body = json.dumps({"store": "example_corp", "order": {"status": "shipped"}})
    assert passes(policy, body=body, scope="MessageBody") is True
    listed = json.dumps({"store": "example_corp", "order": [{"status": "new"}, {"status": "shipping"}]})
    assert passes(policy, body=listed, scope="MessageBody") is True
    assert passes(policy, body=json.dumps({"store": "example_corp"}), scope="MessageBody") is False
    assert passes(policy, body="plain text", scope="MessageBody") is False
    assert (
        passes({"flag": [True], "n": [None]}, body='{"flag": true, "n": null}', scope="MessageBody") is True
    )
    unknown = lets_through(json.dumps(policy), "MessageBody", {}, None)
    assert unknown.passes is None and "body" in unknown.why


@pytest.mark.parametrize(
    ("policy", "scope"),
    [
        ("not json", None),
        ("[1]", None),
        ('{"k": [{"wildcard": "a*"}]}', None),
        ('{"k": [{"numeric": ["~", 1]}]}', None),
        ('{"k": [{"anything-but": {"wildcard": "a"}}]}', None),
        ('{"k": {"nested": ["x"]}}', "MessageAttributes"),
        ('{"k": []}', None),
        ('{"k": ["x"]}', "SomethingElse"),
        ('{"k": ["x"], "j": [{"exists": "yes"}]}', None),
    ],
)
def test_a_policy_it_cannot_read_is_cannot_tell_with_why(policy, scope):
    verdict = lets_through(policy, scope, attrs(k="x", j="y"), None)
    assert verdict.passes is None and verdict.why


# --- agreement with moto's matcher, on what moto implements as documented --------------------------
# moto departs from the docs in places, kept out of the generated cases: it treats a string policy
# value as matching a Number attribute with that text, anything-but on a String.Array compares its
# characters, equals-ignore-case does not lower the policy's value, exists:false matches a message
# without attributes, prefix/suffix ignore String.Array elements, and a missing attribute fails a key
# at its first value condition, before an `exists: false` beside it is tried.
NAMES = st.sampled_from(["severity", "department", "service", "tier"])
WORDS = st.text(alphabet="abcAB", min_size=1, max_size=3)
NUMBERS = st.integers(-5, 5) | st.sampled_from([0.5, 1.25, -2.75])
LOWER = st.text(alphabet="ab", min_size=1, max_size=3)
STRING_CONDITIONS = st.one_of(
    WORDS,
    st.builds(lambda w: {"prefix": w}, WORDS),
    st.builds(lambda w: {"suffix": w}, WORDS),
    st.builds(lambda w: {"equals-ignore-case": w}, LOWER),
    st.builds(lambda w: {"anything-but": w}, st.lists(WORDS, min_size=1, max_size=3) | WORDS),
    st.builds(lambda w: {"anything-but": {"prefix": w}}, WORDS),
)
NUMBER_CONDITIONS = st.one_of(
    NUMBERS,
    st.builds(lambda n: {"anything-but": n}, st.lists(NUMBERS, min_size=1, max_size=3)),
    st.builds(lambda op, n: {"numeric": [op, n]}, st.sampled_from(["=", "<", "<=", ">", ">="]), NUMBERS),
    st.builds(lambda a, b: {"numeric": [">=", min(a, b), "<", max(a, b)]}, NUMBERS, NUMBERS),
)
ARRAY_CONDITIONS = st.one_of(WORDS, st.builds(lambda w: {"equals-ignore-case": w}, LOWER))
EXISTS = st.builds(lambda b: {"exists": b}, st.booleans())
KINDS = {"severity": "String", "department": "String", "service": "String.Array", "tier": "Number"}
CONDITIONS = {"String": STRING_CONDITIONS, "String.Array": ARRAY_CONDITIONS, "Number": NUMBER_CONDITIONS}


@st.composite
def policies(draw, depth=0):
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    policy = {
        n: [draw(EXISTS)]
        if draw(st.booleans())
        else draw(st.lists(CONDITIONS[KINDS[n]], min_size=1, max_size=3))
        for n in names
    }
    if depth == 0 and draw(st.booleans()):
        policy["$or"] = draw(st.lists(policies(depth=1), min_size=2, max_size=3))
    return policy


@st.composite
def messages(draw):
    values = {
        "severity": WORDS,
        "department": WORDS,
        "service": st.lists(WORDS, min_size=1, max_size=3),
        "tier": NUMBERS,
    }
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    return attrs(**{n: draw(values[n]) for n in names})


def moto_says(policy, attributes):
    """What the emulator would deliver: moto's matcher on the attributes as SNS hands them to it."""
    as_delivered = {n: {"Type": a["DataType"], "Value": a["StringValue"]} for n, a in attributes.items()}
    return FilterPolicyMatcher(policy, "MessageAttributes").matches(as_delivered, "")


@settings(max_examples=400, deadline=None)
@given(policies(), messages())
def test_the_matcher_agrees_with_moto_where_moto_follows_the_docs(policy, attributes):
    verdict = lets_through(json.dumps(policy), "MessageAttributes", attributes, None)
    if verdict.passes is not None:  # cannot tell: a case the docs leave open (anything-but on arrays)
        assert verdict.passes == moto_says(policy, attributes)
