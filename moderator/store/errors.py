"""The root of the store's refusals, in a module of its own so every part can import it."""

from __future__ import annotations

from moderator.errors import ModeratorError


class StoreError(ModeratorError):
    """Root of the store's refusals."""


class LabelNotFound(StoreError):
    def __init__(self, label_id: int) -> None:
        self.label_id = label_id
        super().__init__(f"no label with id {label_id}")
