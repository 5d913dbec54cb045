"""Typed reads from a parsed TOML table, with errors that name the file and the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from moderator.errors import PolicyError
from moderator.types import Action

T = TypeVar("T")


class Table:
    """A TOML table being read: every key must be consumed, unknown keys are errors."""

    def __init__(self, data: Any, path: Path, key: str) -> None:
        if not isinstance(data, dict):
            raise PolicyError(str(path), key, f"must be a table, not {type(data).__name__}")
        self._data: dict[str, Any] = dict(data)
        self.path = path
        self.key = key

    def _name(self, key: str) -> str:
        return f"{self.key}.{key}" if self.key else key

    def error(self, key: str, problem: str) -> PolicyError:
        return PolicyError(str(self.path), self._name(key), problem)

    def get(
        self, key: str, kind: type[T], default: T | None = None, *, required: bool = False
    ) -> T:
        if key not in self._data:
            if required:
                raise self.error(key, "is required")
            return default  # type: ignore[return-value]
        value = self._data.pop(key)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"must be {kind.__name__}, not {type(value).__name__}")
        return value

    def string_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        values = self.get(key, list, list(default))
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.error(f"{key}[{i}]", "must be a string")
        return tuple(values)

    def action(self, key: str, default: Action | None = None, *, allow_flag: bool = True) -> Action:
        raw = self.get(key, str, default.value if default else None, required=default is None)
        allowed = [a for a in Action if allow_flag or a is not Action.FLAG]
        try:
            action = Action(raw)
        except ValueError:
            action = None
        if action not in allowed:
            raise self.error(key, f"must be one of {', '.join(a.value for a in allowed)}")
        return action  # type: ignore[return-value]

    def table(self, key: str, *, required: bool = False) -> Table | None:
        if key not in self._data:
            if required:
                raise self.error(key, "is required")
            return None
        return Table(self._data.pop(key), self.path, self._name(key))

    def tables(self, key: str) -> Iterator[Table]:
        items = self.get(key, list, [])
        for i, item in enumerate(items):
            yield Table(item, self.path, f"{self._name(key)}[{i}]")

    def names(self) -> list[str]:
        return list(self._data)

    def done(self) -> None:
        """Refuse keys nobody read: a typo must not silently disable a rule."""
        if self._data:
            key = sorted(self._data)[0]
            raise self.error(key, "is not a known setting")
