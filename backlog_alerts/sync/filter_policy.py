"""Does a subscription's filter policy let a message through? SNS's documented semantics, in one place.

Reach is what gets through: a director whose filter policy asks for critical alerts only does not hear
a warning, however confirmed the subscription. No maintained library implements SNS filter policies
(moto's matcher serves the tests as an oracle), so this module does, for the operators AWS documents
(docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html): exact strings, numbers,
`true`/`false`/`null`, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (of values, a prefix or
a suffix), `numeric` (`=`, `<`, `<=`, `>`, `>=`, one range), `exists`, `cidr`, `$or`, and nested keys
when the scope is `MessageBody`.

Every answer is True, False or None, "cannot tell": a policy this module cannot read (an operator it
does not know, a shape AWS would refuse) or a case the documentation leaves open (`anything-but` on an
array some of whose elements are listed: the docs have said both "matches" and "does not"). A message
is counted as heard only on True.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backlog_alerts.errors import BacklogAlertsError

ATTRIBUTES, BODY = "MessageAttributes", "MessageBody"
NUMERIC_OPERATORS = {
    "=": lambda a, b: math.isclose(a, b, rel_tol=0, abs_tol=1e-6),  # SNS: 5 digits after the point
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ABSENT = object()  # a key the message does not carry


class CannotTell(BacklogAlertsError):
    """The policy cannot be read, or the documentation does not settle this case (caught here: the
    verdict is None, never an error)."""


@dataclass(frozen=True)
class Verdict:
    """Whether a message gets through: True, False, or None (cannot tell, and `why`)."""

    passes: bool | None
    why: str = ""


def lets_through(
    policy: str | None, scope: str | None, attributes: Mapping[str, Mapping[str, str]], body: str | None
) -> Verdict:
    """The verdict of a subscription's FilterPolicy (JSON text; None or "{}": no filter) and
    FilterPolicyScope (None: MessageAttributes) on one message: its MessageAttributes as Publish takes
    them ({"severity": {"DataType": "String", "StringValue": "warning"}}) and its body as published
    (None: not known, so a body-scoped policy cannot tell)."""
    try:
        parsed = json.loads(policy or "{}")
    except ValueError:
        return Verdict(None, "the filter policy is not JSON")
    if not isinstance(parsed, dict):
        return Verdict(None, "the filter policy is not a JSON object")
    if not parsed:
        return Verdict(True)
    try:
        if (scope or ATTRIBUTES) == ATTRIBUTES:
            return Verdict(_policy_matches(parsed, _attribute_values(attributes), nested=False))
        if scope != BODY:
            raise CannotTell(f"unknown FilterPolicyScope {scope!r}")
        if body is None:
            raise CannotTell("the filter policy reads the message body, which is not known here")
        try:
            document = json.loads(body)
        except ValueError:
            return Verdict(False)  # SNS: a body-scoped policy needs a JSON object body
        return Verdict(isinstance(document, dict) and _policy_matches(parsed, document, nested=True))
    except CannotTell as err:
        return Verdict(None, str(err))


def _attribute_values(attributes: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Each attribute as the values a policy compares: a String's text, a Number's number, a
    String.Array's elements (a list); Binary attributes are ignored, as SNS does."""
    values: dict[str, Any] = {}
    for name, attribute in attributes.items():
        kind = attribute.get("DataType", attribute.get("Type", "String"))
        text = attribute.get("StringValue", attribute.get("Value", ""))
        try:
            if kind.startswith("Number"):
                values[name] = float(text)
            elif kind.startswith("String.Array"):
                elements = json.loads(text)
                values[name] = elements if isinstance(elements, list) else [elements]
            elif kind.startswith("String"):
                values[name] = text
        except ValueError as err:
            raise CannotTell(f"the message attribute {name} is not a valid {kind}") from err
    return values


def _policy_matches(policy: Mapping[str, Any], message: Mapping[str, Any], *, nested: bool) -> bool:
    """Every key of the policy holds (AND); `$or` holds when one of its policies does. Every key is
    judged, so a part that cannot be read is found even after another part said no."""
    results = []
    for key, rule in policy.items():
        if key == "$or":
            if not isinstance(rule, list) or not rule or not all(isinstance(p, dict) for p in rule):
                raise CannotTell("$or must list policies")
            results.append(any([_policy_matches(p, message, nested=nested) for p in rule]))
        elif isinstance(rule, dict):
            if not nested:
                raise CannotTell(f"{key}: nested keys need the MessageBody scope")
            results.append(_nested_matches(rule, message.get(key, _ABSENT)))
        elif isinstance(rule, list) and rule:
            results.append(_key_matches(key, rule, message))
        else:
            raise CannotTell(f"{key}: a policy value must be a non-empty list of conditions")
    return all(results)


def _nested_matches(policy: Mapping[str, Any], value: Any) -> bool:
    """A nested policy on a body property: an object, or an array of them (one must match)."""
    if isinstance(value, dict):
        return _policy_matches(policy, value, nested=True)
    if isinstance(value, list):
        return any([_nested_matches(policy, element) for element in value])
    _policy_matches(policy, {}, nested=True)  # read all the same: an unreadable policy cannot tell
    return False


def _key_matches(key: str, conditions: list[Any], message: Mapping[str, Any]) -> bool:
    """One key's conditions (OR): at least one matches the message's value(s) of that key."""
    value = message.get(key, _ABSENT)
    values = [] if value is _ABSENT else value if isinstance(value, list) else [value]
    present = any(v is not None and v != "" for v in values)  # SNS: exists needs a non-empty value
    return any([_condition(condition, values, present, bool(message)) for condition in conditions])


def _condition(condition: Any, values: list[Any], present: bool, any_attribute: bool) -> bool:
    """One condition against a key's values (a String.Array or body array: any element matches)."""
    if isinstance(condition, dict):
        if len(condition) != 1:
            raise CannotTell("a condition must have exactly one operator")
        ((operator, operand),) = condition.items()
        if operator == "exists":
            if not isinstance(operand, bool):
                raise CannotTell("exists takes true or false")
            return present if operand else not present and any_attribute
        if not present:
            return False
        if operator == "anything-but":
            return _anything_but(operand, values)
        if operator == "numeric":
            check = _numeric(operand)
            return any(_is_number(v) and check(v) for v in values)
        if operator in ("prefix", "suffix", "equals-ignore-case", "cidr"):
            test = _string_test(operator, operand)
            return any(isinstance(v, str) and test(v) for v in values)
        raise CannotTell(f"unknown operator {operator!r}")
    if isinstance(condition, list):
        raise CannotTell("a condition cannot be a list")
    return any(_same(condition, v) for v in values)


def _same(literal: Any, value: Any) -> bool:
    """Exact matching, type for type: a string policy value never equals a number, nor 1 equals true."""
    if _is_number(literal) and _is_number(value):
        return bool(NUMERIC_OPERATORS["="](float(literal), float(value)))
    return type(literal) is type(value) and literal == value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string_test(operator: str, operand: Any) -> Any:
    if not isinstance(operand, str):
        raise CannotTell(f"{operator} takes a string")
    if operator == "prefix":
        return lambda v: v.startswith(operand)
    if operator == "suffix":
        return lambda v: v.endswith(operand)
    if operator == "equals-ignore-case":
        return lambda v: v.casefold() == operand.casefold()
    try:
        network = ipaddress.ip_network(operand, strict=False)
    except ValueError as err:
        raise CannotTell("cidr takes a network such as 10.0.0.0/24") from err

    def within(v: str) -> bool:
        try:
            return ipaddress.ip_address(v) in network
        except ValueError:
            return False

    return within


def _numeric(operand: Any) -> Any:
    """`[">", 0, "<=", 150]`: one comparison, or a lower and an upper bound."""
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise CannotTell("numeric takes an operator and a number, or two of each")
    pairs = list(zip(operand[0::2], operand[1::2], strict=True))
    for op, bound in pairs:
        if op not in NUMERIC_OPERATORS or not _is_number(bound):
            raise CannotTell("numeric: a comparison SNS does not know")
    return lambda v: all(NUMERIC_OPERATORS[op](float(v), float(bound)) for op, bound in pairs)


def _anything_but(operand: Any, values: list[Any]) -> bool:
    """None of the listed values (or no value with the prefix or suffix). On an array with some
    elements listed and some not, AWS's documentation has said both: cannot tell."""
    if isinstance(operand, dict):
        if len(operand) != 1 or next(iter(operand)) not in ("prefix", "suffix"):
            raise CannotTell("anything-but takes values, a prefix or a suffix")
        test = _string_test(*next(iter(operand.items())))
        listed = [isinstance(v, str) and test(v) for v in values]
    else:
        excluded = operand if isinstance(operand, list) else [operand]
        if not excluded or any(isinstance(e, dict | list) for e in excluded):
            raise CannotTell("anything-but takes values, a prefix or a suffix")
        listed = [any(_same(e, v) for e in excluded) for v in values]
    if all(listed):
        return False
    if not any(listed):
        return True
    raise CannotTell("anything-but on an array some of whose elements are listed: AWS's docs disagree")
