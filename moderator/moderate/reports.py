"""The dashboard and the audit log (as a page and as CSV)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Response, request, stream_with_context

from moderator.moderate import dashboard
from moderator.moderate.blueprint import PageError, moderate, render, service, store
from moderator.moderate.cards import site_thresholds
from moderator.store import AuditEntry
from moderator.store.times import iso

MAX_DAYS = 365
AUDIT_PAGE = 100
CSV_COLUMNS = ("id", "at", "moderator", "action", "comment_id", "site", "label", "reason",
               "note", "overrode", "score", "codes")
#: A cell a spreadsheet would run as a formula starts with one of these.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _site() -> str | None:
    site = request.args.get("site") or None
    if site is not None and site not in service().policies.sites():
        raise PageError(400, "bad_request", message=f"no policy is configured for site {site!r}")
    return site


def _days() -> int:
    raw = request.args.get("days", "30")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise PageError(400, "bad_request", message=f"days must be from 1 to {MAX_DAYS}")
    return int(raw)


@moderate.get("/moderate/dashboard")
def dashboard_page() -> Response:
    site, days = _site(), _days()
    now = datetime.now(UTC)
    rows = store().dashboard_rows(dashboard.since(now, days), site)
    limits = site_thresholds(service(), site or "default")
    return render("dashboard.html", site=site, days=days, sites=service().policies.sites(),
                  per_day=dashboard.per_day(rows, now.date(), days),
                  times=dashboard.decision_times(rows), overturns=dashboard.overturns(rows),
                  bands=dashboard.bands(rows, limits[0] if limits else None),
                  limits=limits, duration=dashboard.duration)


@moderate.get("/moderate/audit")
def audit_page() -> Response:
    site = _site()
    raw = request.args.get("before", "")
    if raw and (not raw.isascii() or not raw.isdigit() or len(raw) > 18):
        raise PageError(400, "bad_request", message="before is not an audit entry id")
    entries = store().audit(site, AUDIT_PAGE, int(raw) if raw else None)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return render("audit.html", entries=entries, site=site, older=older,
                  sites=service().policies.sites())


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_row(entry: AuditEntry) -> list[str]:
    """One audit entry as CSV cells; text cells are kept from running as formulas."""
    return [str(entry.id), iso(entry.at) or "", _cell(entry.moderator), entry.action,
            entry.comment_id, _cell(entry.site), entry.label or "", entry.reason or "",
            _cell(entry.note), _cell(entry.overrode),
            "" if entry.score is None else f"{entry.score:.4f}", " ".join(entry.codes)]


@moderate.get("/moderate/audit.csv")
def audit_csv() -> Response:
    """Every audit entry, oldest first, streamed (a long log never sits in memory)."""
    site = _site()
    entries = store().iter_audit(site)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for entry in entries:
            writer.writerow(csv_row(entry))
            if buffer.tell() > 16384:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    safe_site = re.sub(r"[^A-Za-z0-9._-]", "_", site or "all")
    name = f"moderator-audit-{safe_site}-{datetime.now(UTC):%Y%m%d}.csv"
    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
