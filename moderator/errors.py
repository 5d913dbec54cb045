"""One exception root; subclasses carry structured fields for error responses."""

from __future__ import annotations


class ModeratorError(Exception):
    """Root of every error this package raises on purpose."""


class PolicyError(ModeratorError):
    """A policy or word-list file is invalid; names the file and the key."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}")


class UnknownSiteError(ModeratorError):
    """No policy is configured for the requested site."""

    def __init__(self, site: str) -> None:
        self.site = site
        super().__init__(f"no policy for site {site!r}")


class ModelError(ModeratorError):
    """A model artifact is missing, tampered with, or from another library version."""
