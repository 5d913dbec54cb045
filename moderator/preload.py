"""Policies and models loaded in gunicorn's master, inherited by every worker it forks.

Why in the master: a worker that boots while the policy file on disk is broken or
`models/*/CURRENT` is unreadable still gets the last good policy and model (they are in
the memory it was forked from), so a worker restart never takes the server down; and all
workers fork from one copy, so they serve one policy version. The master reloads the policy
only on SIGHUP (`reload_policy`), and looks at CURRENT before each fork (`refresh_models`).
Nothing here touches the database: a connection must never cross a fork.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from moderator.hotswap import ModelWatcher
from moderator.livepolicy import PolicyKeeper
from moderator.policy import PolicySet, links


def model_names(policies: PolicySet) -> set[str]:
    return {p.classifier.model for p in policies if p.classifier.enabled}


@dataclass(slots=True)
class Preloaded:
    """The master's last good policy set and the models it names."""

    policy_path: Path
    models_dir: Path
    keeper: PolicyKeeper
    watcher: ModelWatcher

    def matches(self, policy_path: Path, models_dir: Path) -> bool:
        return (Path(policy_path).resolve() == self.policy_path
                and Path(models_dir).resolve() == self.models_dir)


_current: Preloaded | None = None


def preload(policy_path: Path, models_dir: Path) -> Preloaded:
    """Load in this (the master) process; raises PolicyError if there is no good policy yet."""
    global _current
    keeper = PolicyKeeper(Path(policy_path))
    policies = keeper.state.policies
    if any(p.links for p in policies):
        links.warm_up()
    _current = Preloaded(Path(policy_path).resolve(), Path(models_dir).resolve(), keeper,
                         ModelWatcher(Path(models_dir), model_names(policies)))
    return _current


def inherited(policy_path: Path, models_dir: Path) -> Preloaded | None:
    """What the master preloaded for these paths, or None (no master, or other paths)."""
    if _current is not None and _current.matches(policy_path, models_dir):
        return _current
    return None


def reload_policy() -> bool:
    """On SIGHUP, in the master: take the edited policy if it loads whole, else keep it."""
    if _current is None:
        return False
    if not _current.keeper.reload():
        return False
    names = model_names(_current.keeper.state.policies)
    if set(names) != set(_current.watcher.names):
        _current.watcher = ModelWatcher(_current.models_dir, names)
    if any(p.links for p in _current.keeper.state.policies):
        links.warm_up()
    return True


def refresh_models() -> None:
    """Before a fork, in the master: pick up a promotion so the new worker starts on it."""
    if _current is not None:
        _current.watcher.refresh()
