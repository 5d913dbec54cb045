"""Adapters that turn a foreign moderation request into a Comment and a Verdict back."""
