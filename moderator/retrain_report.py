"""The comparison report of one retrain as markdown (beside comparison.json).

Base metrics first, because they decide; the moderators' labels after, marked as not
deciding, so a reader sees at once which numbers the promotion rested on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _label_lines(report: Mapping[str, Any]) -> list[str]:
    labels = report["labels"]
    lines = ["", "## Moderators' labels (reported, not gated on)", "",
             f"{labels['given']} labels given: {labels['trained_on']} trained on, "
             f"{labels['held_back']} held back (fold {labels['held_back_fold']} of "
             f"{labels['folds']}), {labels['flagged_now']} flagged by the cross-check now, "
             f"{labels['flagged_before']} still flagged from earlier runs.", ""]
    if labels["flagged_now"] or labels["flagged_before"]:
        lines += ["Flagged labels wait for a second look: `moderator labels list --flagged`, "
                  "then `moderator labels confirm ID` or `moderator labels delete ID`.", ""]
    held = report.get("label_report")
    if held:
        lines += ["| on held-back labels | current | candidate |", "| --- | ---: | ---: |"]
        for key, get in (("ROC-AUC", lambda b: b.get("roc_auc")),
                         ("recall @review", lambda b: (b.get("review") or {}).get("recall"))):
            cur = get(held["current"]) if held["current"] else None
            lines.append(f"| {key} | {cur} | {get(held['candidate'])} |")
        lines += ["", f"_{held['note']}_"]
    return lines


def markdown(report: Mapping[str, Any]) -> str:
    """Decision, the gate's per-metric table on base rows, then the labels' section."""
    ev = report["evaluation"]
    counts = ", ".join(f"{n} {label}" for label, n in ev["by_label"].items())
    lines = [f"# Retrain {report['candidate']} vs {report['current'] or '(none)'}", "",
             f"Gate: {ev['rows']} base validation rows ({counts}); no moderator label "
             "can enter them.", "",
             f"**Decision: {report['gate']['decision']}**", "",
             "| metric | current | candidate | delta | tolerance | ok |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for c in report["gate"]["checks"]:
        lines.append(f"| {c['metric']} ({c['better']} is better) | {c['current']} "
                     f"| {c['candidate']} | {c['delta']} | {c['tolerance']} "
                     f"| {'yes' if c['ok'] else 'NO'} |")
    lines += _label_lines(report)
    return "\n".join(lines) + "\n"
