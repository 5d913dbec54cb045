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


#: No address is longer (RFC 5321); longer values are checked uncached, so anonymous
#: input can fill the cache with at most 4,096 values of this size (~1 MB).
MAX_CACHED_EMAIL = 254


def email_problem(value: str) -> str | None:
    """None for a well-formed address, else a sentence the commenter can act on.

    Cached: the same commenters write again and again, and email-validator's IDNA
    checks cost about 20 us an address. The cache lives in the worker's memory only.
    """
    if len(value) > MAX_CACHED_EMAIL:
        return _email_problem(value)
    return _cached_email_problem(value)


@lru_cache(maxsize=4096)
def _cached_email_problem(value: str) -> str | None:
    return _email_problem(value)


def _email_problem(value: str) -> str | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None
