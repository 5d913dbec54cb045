"""Decision-level evaluation: the whole policy (rules and classifier) over labelled rows.

What a site feels is not a score but decisions: how much propaganda the policy holds
(catch) and how many readers who discuss terrorism or write about anything else it
holds for a moderator (load). Each row is checked as a comment with a fixed name and
email, so form rules (required fields, email) do not count; a comment longer than the
form allows is reported under `form` and not as load, because the form would have
stopped it before it was sent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from moderator.classifier.data import NEGATIVES, POSITIVE, Dataset
from moderator.policy.engine import Scorer, run_policy
from moderator.policy.model import Policy
from moderator.types import Action, Comment

#: Findings about the form, not the content: they are the commenter's to fix.
FORM_SUFFIXES = (".required", ".too_long", ".too_short", ".invalid")
#: Findings about propaganda (the classifier, evidence and incitement rules, failures of
#: either): the load the classifier work is judged by; the rest are the site's own rules.
PROPAGANDA_PREFIXES = ("classifier.", "suspect.", "incitement.", "system.")
READER = {"name": "A reader", "email": "reader@example.org"}


@dataclass
class Tally:
    """Rows and holds of one group (a source, a language or everything)."""

    rows: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    by_propaganda_rules: Counter[str] = field(default_factory=Counter)
    form: Counter[str] = field(default_factory=Counter)
    codes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, label: str, held_by: Sequence[str], form_only: bool) -> None:
        self.rows[label] += 1
        if form_only:
            self.form[label] += 1
        elif held_by:
            self.held[label] += 1
            self.codes[label].update(set(held_by))
            if any(code.startswith(PROPAGANDA_PREFIXES) for code in held_by):
                self.by_propaganda_rules[label] += 1

    def rate(self, label: str, counter: Counter[str] | None = None) -> float | None:
        checked = self.rows[label] - self.form[label]
        held = (self.held if counter is None else counter)[label]
        return round(held / checked, 4) if checked else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rows": dict(self.rows), "form_stopped": dict(self.form)}
        out["catch"] = self.rate(POSITIVE)
        out["catch_by_propaganda_rules"] = self.rate(POSITIVE, self.by_propaganda_rules)
        for label in NEGATIVES:
            out[f"held_{label}"] = self.rate(label)
            out[f"held_{label}_by_propaganda_rules"] = self.rate(label, self.by_propaganda_rules)
        out["held_by"] = {label: dict(c.most_common(5)) for label, c in self.codes.items()}
        return out


def _held_by(findings: Sequence[Any]) -> tuple[list[str], bool]:
    """Codes of the content findings that hold the comment; whether only the form did."""
    holding = [f for f in findings if f.action.severity >= Action.REVIEW.severity]
    content = [f.code for f in holding if not f.code.endswith(FORM_SUFFIXES)]
    return content, bool(holding) and not content


def evaluate_policy(policy: Policy, model: Scorer | None, data: Dataset,
                    progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Catch and load of `policy` on `data`, overall, per source and per language."""
    field_name = policy.classifier.field
    overall, by_source, by_lang = Tally(), defaultdict(Tally), defaultdict(Tally)
    for i, (text, label, source, lang) in enumerate(
            zip(data.texts, data.labels, data.sources, data.langs, strict=True)):
        fields = {**{k: v for k, v in READER.items() if k in policy.fields}, field_name: text}
        verdict = run_policy(Comment(fields, site=policy.site), policy, model)
        held_by, form_only = _held_by(verdict.findings)
        for tally in (overall, by_source[source], by_lang[lang]):
            tally.add(label, held_by, form_only)
        if progress and i % 5000 == 0:
            progress(i)
    return {"policy": policy.label,
            "model": getattr(model, "version", None) if policy.classifier.enabled else None,
            "all": overall.to_dict(),
            "by_source": {k: v.to_dict() for k, v in sorted(by_source.items())},
            "by_lang": {k: v.to_dict() for k, v in sorted(by_lang.items())}}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def markdown(result: dict[str, Any]) -> str:
    """The decision table: catch and load per source and language, with what held them."""
    lines = [f"policy {result['policy']}, model {result['model']}", "",
             "Held = review or reject by any content rule; (p) = by the propaganda findings "
             "alone (classifier, evidence words, incitement, failures).", "",
             "| group | propaganda | catch | discusses | held | held (p) | other | held "
             "| held (p) | form-stopped | held by (top codes) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    groups = [("**all**", result["all"])]
    groups += [(f"`{k}`", v) for k, v in result["by_source"].items()]
    groups += [(f"lang {k}", v) for k, v in result["by_lang"].items()]
    for name, g in groups:
        rows = g["rows"]
        codes = Counter()
        for c in g["held_by"].values():
            codes.update(c)
        top = ", ".join(f"{code} {n}" for code, n in codes.most_common(3))
        lines.append(
            f"| {name} | {rows.get(POSITIVE, 0)} | {_pct(g['catch'])} | "
            f"{rows.get('discusses', 0)} | {_pct(g['held_discusses'])} | "
            f"{_pct(g['held_discusses_by_propaganda_rules'])} | "
            f"{rows.get('other', 0)} | {_pct(g['held_other'])} | "
            f"{_pct(g['held_other_by_propaganda_rules'])} | "
            f"{sum(g['form_stopped'].values())} | {top} |")
    return "\n".join(lines) + "\n"
