"""moderator: comment moderation and comment-policy checks for news sites."""

from moderator.types import Action, Comment, Decision, Finding, Span, Verdict

__all__ = ["Action", "Comment", "Decision", "Finding", "Span", "Verdict"]
__version__ = "0.1.0"
