"""The `[flood]` section of a policy: repeat-post and rate limits, read and validated.

Only the settings live here; counting is `moderator.flood`'s job (it needs a store shared
by every worker), so the policy layer stays free of Redis and of the `limits` package.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from moderator.policy.model import FieldSpec
from moderator.policy.tables import Table
from moderator.types import Action

#: `5 per 60 seconds`, `5 per minute`, `5/minute`, `20 per 2 hours`.
_RATE = regex.compile(r"\s*(\d+)\s*(?:per|/)\s*(?:(\d+)\s*)?(second|minute|hour|day)s?\s*")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_AMOUNT = 10_000
MAX_WINDOW_SECONDS = 7 * 86400
MAX_REPEAT_MINUTES = 7 * 24 * 60
DEFAULT_MESSAGE = "You are posting comments too quickly. Please wait {wait} and try again."
DEFAULT_REPEAT_MESSAGE = "You have already posted this comment."


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `amount` comments in any `seconds`-long window."""

    amount: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.amount} per {self.seconds} seconds"


@dataclass(frozen=True, slots=True)
class FloodSettings:
    """What counts as a repeat or a flood on one site, and what each means."""

    #: The same text by the same commenter within this many seconds is a repeat (0: off).
    repeat_window_seconds: int
    repeat_action: Action
    repeat_message: str
    #: Rates per commenter (keyed hash of the email, else of context author_id).
    per_commenter: tuple[Rate, ...]
    #: Rates per IP address (context ip, ip_address, remote_addr or client_ip).
    per_ip: tuple[Rate, ...]
    #: The 429's message for the commenter; `{wait}` becomes "40 seconds", "2 minutes".
    message: str
    #: The field whose text is compared for repeats.
    field: str


def parse_rates(table: Table, key: str) -> tuple[Rate, ...]:
    """`"5 per 60 seconds"`, or several joined by `;` (each must hold)."""
    raw = table.get(key, str)
    if raw is None:
        return ()
    rates = []
    for part in raw.split(";"):
        match = _RATE.fullmatch(part)
        if match is None:
            raise table.error(key, f"{part.strip()!r} is not a rate such as "
                                   "\"5 per 60 seconds\" or \"20 per hour\"")
        amount, multiple, unit = int(match[1]), match[2], match[3]
        seconds = (int(multiple) if multiple is not None else 1) * _UNIT_SECONDS[unit]
        if not 1 <= amount <= MAX_AMOUNT:
            raise table.error(key, f"{part.strip()!r}: the count must be 1 to {MAX_AMOUNT}")
        if not 1 <= seconds <= MAX_WINDOW_SECONDS:
            raise table.error(key, f"{part.strip()!r}: the window must be 1 second to 7 days")
        rates.append(Rate(amount, seconds))
    return tuple(rates)


def load_flood(root: Table, fields: dict[str, FieldSpec],
               default_field: str) -> FloodSettings | None:
    """`[flood]`: enabled, repeat_window_minutes, repeat_action, repeat_message,
    per_commenter, per_ip, message, field. None when absent or disabled."""
    table = root.table("flood")
    if table is None:
        return None
    enabled = table.get("enabled", bool, True)
    minutes = table.get("repeat_window_minutes", int, 10)
    if not 0 <= minutes <= MAX_REPEAT_MINUTES:
        raise table.error("repeat_window_minutes", f"must be 0 (off) to {MAX_REPEAT_MINUTES}")
    if default_field not in fields:  # no classifier field: the first text field
        default_field = next((n for n, f in fields.items() if f.type == "text"), default_field)
    field = table.get("field", str, default_field)
    if field not in fields:
        raise table.error("field", f"names unknown field {field!r}")
    if fields[field].type != "text":
        raise table.error("field", f"{field!r} is not a text field")
    message = table.get("message", str, DEFAULT_MESSAGE)
    if not message.strip():
        raise table.error("message", "must not be empty: the commenter is shown it")
    settings = FloodSettings(
        repeat_window_seconds=minutes * 60,
        repeat_action=table.action("repeat_action", Action.REVIEW),
        repeat_message=table.get("repeat_message", str, DEFAULT_REPEAT_MESSAGE),
        per_commenter=parse_rates(table, "per_commenter"),
        per_ip=parse_rates(table, "per_ip"),
        message=message,
        field=field,
    )
    table.done()
    return settings if enabled else None
