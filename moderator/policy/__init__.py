"""The comment-policy rule engine: policies as data, rules as small functions."""

from moderator.policy.engine import CheckContext, Scorer, run_policy
from moderator.policy.loader import PolicySet, load_policy
from moderator.policy.model import Policy

__all__ = ["CheckContext", "Policy", "PolicySet", "Scorer", "load_policy", "run_policy"]
