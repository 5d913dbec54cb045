"""Highlights: pieces join back to the text exactly and every span covers its characters."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from moderator.moderate.highlight import kind_of, marks_for, pieces


def finding(code: str, start: int | None, end: int | None, field: str = "comment",
            **detail: Any) -> dict[str, Any]:
    return {"code": code, "field": field, "action": "review", "message": f"{code} msg",
            "span": None if start is None else {"start": start, "end": end},
            **({"detail": detail} if detail else {})}


def covered(text: str, ref: str, parts: list[Any]) -> str:
    return "".join(p.text for p in parts if ref in p.refs.split())


def test_spans_after_an_emoji_cover_the_right_characters() -> None:
    text = "🙂👍🏽 call +7 701 234 5678, brothers"  # astral and combining before the span
    start = text.index("+7")
    findings = [finding("personal_data.phone", start, start + 15),
                finding("suspect.word", text.index("brothers"), len(text))]
    parts = pieces(text, marks_for("comment", text, findings))
    assert "".join(p.text for p in parts) == text
    assert covered(text, "0", parts) == "+7 701 234 5678"
    assert covered(text, "1", parts) == "brothers"
    [phone] = [p for p in parts if p.refs == "0"]
    assert phone.css == "hl hl-personal" and phone.codes == "personal_data.phone"
    assert phone.title == "personal_data.phone: personal_data.phone msg"


def test_overlapping_rule_and_classifier_spans_are_cut_at_every_edge() -> None:
    text = "Join the caliphate now"
    explanation = [{"term": "caliphate", "weight": 0.8, "span": {"start": 9, "end": 18}},
                   {"term": "now", "weight": -0.1, "span": {"start": 19, "end": 22}}]
    findings = [finding("banned.phrase", 0, 18),
                finding("classifier.propaganda", 9, 18, score=0.9,
                        explanation=explanation)]
    marks = marks_for("comment", text, findings, "term {term} ({weight})")
    assert [(m.ref, m.kind) for m in marks] == \
        [("0", "banned"), ("1.0", "classifier"), ("1.1", "classifier")]
    parts = pieces(text, marks)
    assert [(p.text, p.refs) for p in parts] == \
        [("Join the ", "0"), ("caliphate", "0 1.0"), (" ", ""), ("now", "1.1")]
    assert parts[1].css == "hl hl-banned hl-classifier"
    assert parts[3].css == "hl hl-classifier-only hl-classifier"
    assert "term caliphate (+0.80)" in parts[1].title and "banned.phrase" in parts[1].title
    assert "term now (-0.10)" in parts[3].title


def test_spans_of_other_fields_or_out_of_range_or_malformed_are_left_out() -> None:
    text = "short"
    findings = [finding("banned.word", 0, 3, field="name"), finding("banned.word", 2, 99),
                finding("banned.word", 3, 3), finding("length", None, None),
                {"code": "x", "field": "comment", "span": {"start": "0", "end": 2}},
                {"code": "x", "field": "comment", "span": {"start": True, "end": 2}},
                "not a finding"]
    assert marks_for("comment", text, findings) == []  # type: ignore[arg-type]
    assert [(p.text, p.marks) for p in pieces(text, [])] == [("short", ())]


def test_kinds_come_from_the_code_family() -> None:
    assert [kind_of(c) for c in ("banned.phrase", "incitement.violence", "links.too_many",
                                 "classifier.propaganda", "noted.word")] == \
        ["banned", "incitement", "link", "classifier", "pattern"]


spans = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=8)


@given(st.text(max_size=40), spans)
def test_pieces_always_join_back_and_cover_exactly_their_spans(text: str,
                                                               raw: list[tuple[int, int]]) -> None:
    findings = [finding("banned.word", a, b) for a, b in raw]
    marks = marks_for("comment", text, findings)
    parts = pieces(text, marks)
    assert "".join(p.text for p in parts) == text
    for mark in marks:
        assert covered(text, mark.ref, parts) == text[mark.start:mark.end]
