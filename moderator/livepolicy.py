"""The last good policy set: reloaded on request, kept when the edited files are broken.

`moderator serve` holds one in the master process and reloads it on SIGHUP before gunicorn
starts fresh workers, so every worker serves the same policy files, a worker that restarts
gets the same version as its siblings, and an edit that does not load leaves the running
version in place (and /healthz says why).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from moderator.errors import PolicyError
from moderator.policy import PolicySet

log = logging.getLogger(__name__)


def policy_digest(policy_path: Path) -> str:
    """sha256 over the policy TOML files, the word lists and incitement data next to them.

    Shows in /healthz, so an edit that kept its `version` string is still told apart.
    """
    path = Path(policy_path)
    folder = path if path.is_dir() else path.parent
    files = sorted(folder.glob("*.toml")) if path.is_dir() else [path]
    wordlists = folder.resolve().parent / "wordlists"
    if wordlists.is_dir():
        files += sorted(p for p in wordlists.rglob("*.txt") if p.is_file())
    incitement = folder.resolve().parent / "incitement"
    if incitement.is_dir():
        files += sorted(p for p in incitement.rglob("*") if p.suffix in (".txt", ".toml"))
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        try:
            digest.update(file.read_bytes())
        except OSError:
            digest.update(b"(unreadable)")
        digest.update(b"\0")
    return digest.hexdigest()


def _short(exc: PolicyError) -> str:
    """The error with the file named relative to the policy folder, never an absolute path."""
    return f"{Path(exc.path).name}: {exc.key}: {exc.problem}"


@dataclass(frozen=True, slots=True)
class PolicyState:
    """What is being served: the policies, their digest, and why a reload did not take."""

    policies: PolicySet
    digest: str
    error: str | None = None


class PolicyKeeper:
    """Loads the policies once, then swaps them only for a set that loads whole."""

    def __init__(self, policy_path: Path) -> None:
        self.path = Path(policy_path)
        digest = policy_digest(self.path)
        self.state = PolicyState(PolicySet.from_path(self.path), digest)  # no last good yet

    def reload(self) -> bool:
        """Read the files again; True if a new set is now served, False if kept."""
        digest = policy_digest(self.path)
        try:
            policies = PolicySet.from_path(self.path)
        except PolicyError as exc:
            labels = ", ".join(p.label for p in self.state.policies)
            message = f"kept {labels}: {_short(exc)}"
            log.warning("policy not reloaded: %s", message)
            self.state = PolicyState(self.state.policies, self.state.digest, message)
            return False
        if digest == self.state.digest:
            self.state = PolicyState(self.state.policies, digest)
            return False
        old = {p.site: p.version for p in self.state.policies}
        for policy in policies:
            if old.get(policy.site) == policy.version:
                log.warning("policy %s changed but kept its version string; tell the "
                            "versions apart by the digest in /healthz", policy.label)
        self.state = PolicyState(policies, digest)
        log.info("policy reloaded: %s (sha256 %s)",
                 ", ".join(p.label for p in policies), digest[:12])
        return True
