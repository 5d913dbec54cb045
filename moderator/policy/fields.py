"""How the form counts and checks field values: length unit, required, email syntax."""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email


def form_value(raw: str) -> str:
    """The value as the form's counter sees it: trimmed, one character per line break."""
    return raw.strip().replace("\r\n", "\n").replace("\r", "\n")


def form_length(raw: str) -> int:
    """Length in UTF-16 code units, the unit of a textarea's `maxlength` and JS `value.length`."""
    return utf16_length(form_value(raw))


def utf16_length(value: str) -> int:
    """`form_length` of a value already passed through `form_value`."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


@lru_cache(maxsize=4096)
def email_problem(value: str) -> str | None:
    """None for a well-formed address, else a sentence the commenter can act on.

    Cached: the same commenters write again and again, and email-validator's IDNA
    checks cost about 20 us an address. The cache lives in the worker's memory only.
    """
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None
