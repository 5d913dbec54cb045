"""The moderators' page at /moderate: queues, cards, decisions, dashboard and audit log.

Server-rendered HTML with one small script (no build step, nothing from a CDN), behind a
sign-in with an admin key. `moderator.http.app` mounts the blueprint beside the JSON API.
"""

from moderator.moderate import hooks, reports, views
from moderator.moderate.blueprint import moderate

__all__ = ["hooks", "moderate", "reports", "views"]
