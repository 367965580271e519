"""Masking of personal data: everything we print or record shows contacts only in this form."""

from __future__ import annotations


def mask_email(address: str) -> str:
    """Keep the first letter and the domain so a reviewer can tell contacts apart, hide the rest."""
    local, sep, domain = address.partition("@")
    if not sep:
        return "*" * 5
    return f"{local[:1]}*****@{domain}"


def mask_phone(number: str) -> str:
    """Keep the country prefix and last four digits (`+1******0100`), as phone bills do."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


def mask_endpoint(protocol: str, endpoint: str) -> str:
    """Mask an SNS endpoint by its protocol; queue and function ARNs are not personal data."""
    if protocol == "email" or protocol == "email-json":
        return mask_email(endpoint)
    if protocol == "sms":
        return mask_phone(endpoint)
    return endpoint
