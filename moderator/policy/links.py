"""Finding links in a field, with spans, using linkify-it (markdown-it's link finder)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex
from linkify_it import LinkifyIt

# Cheap gate: text with no "://", "www." or dot between letters cannot hold a link, and most
# comments are like that, so the full finder runs only where it can find something.
_CANDIDATE = regex.compile(r"://|www\.|[\p{L}\p{N}-]\.\p{L}{2}", regex.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    start: int
    end: int
    #: An e-mail address (`joe@example.com` or `mailto:`), which a policy may not count.
    email: bool = False


@lru_cache(maxsize=1)
def _linkify() -> LinkifyIt:
    """One finder per process, warmed up: it compiles some patterns lazily on first use
    (about 0.2 s), which would otherwise land on one unlucky comment."""
    finder = LinkifyIt()
    finder.match("see http://example.org, www.example.org and //example.org")
    return finder


def warm_up() -> None:
    """Build the link finder now (at start-up) rather than on the first comment."""
    _linkify()


def link_bound(text: str) -> int:
    """At most this many links are in `text`, counted without running the finder.

    Every link holds a candidate ("://", "www." or a letter, a dot and two letters) inside
    it; overlapping candidates are all counted, so two links never share one. A comment
    allowed two links with at most two candidates needs no finder at all.
    """
    return len(_CANDIDATE.findall(text, overlapped=True))


def find_links(text: str) -> list[Link]:
    """Every link in `text`, in order, with its range in `text`."""
    if not _CANDIDATE.search(text):
        return []
    matches = _linkify().match(text) or []
    return [Link(m.url, m.index, m.last_index, m.schema.lower() == "mailto:") for m in matches]
