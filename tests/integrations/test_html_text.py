"""HTML stripped to what a reader sees, with every character mapped back into the HTML."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderator.integrations.html_text import to_plain_text
from moderator.types import Span


@pytest.mark.parametrize(("source", "text"), [
    ("plain text, no markup", "plain text, no markup"),
    ("<p>Here's a comment!</p>", "Here's a comment!"),
    ("<p>one</p><p>two</p>", "one\ntwo"),
    ("a<br>b<br/>c", "a\nb\nc"),
    ("<b>bo</b>ld", "bold"),
    ("fish &amp; chips &lt;3 &#1082;&#x0430;", "fish & chips <3 ка"),
    ("3 < 4 & so on", "3 < 4 & so on"),
    ('<a href="https://example.org/x">https://example.org/x</a>', "https://example.org/x"),
    ("hidden<!-- kill -->text", "hidden\n kill \ntext"),
    ("<script>kill</script>", "<script>kill"),
    ("<style>kill the", "<style>kill the"),
    ("<!DOCTYPE kill> <![CDATA[kill]]>", "<!DOCTYPE kill> <![CDATA[kill]]>"),
    ("<!-- never closed kill", "<!-- never closed kill"),
    ("<a <b <c", "<a <b <c"),
    ('<a title="x>kill', '<a title="x>kill'),
    ("a &copy2 b &zz; c && d &amp e", "a ©2 b &zz; c && d & e"),
])
def test_text_is_what_a_reader_sees(source: str, text: str) -> None:
    assert to_plain_text(source).text == text


@pytest.mark.parametrize(("source", "word", "typed"), [
    ("<p>Brothers &amp; the <b>mujahideen</b></p>", "mujahideen", "mujahideen"),
    ("<p>one</p>\n<p>two  words</p>", "two  words", "two  words"),
    ("fish &amp; chips", "&", "&amp;"),
    ("x &#107;ill y", "kill", "&#107;ill"),
    ("line one<br>line two", "one\nline", "one<br>line"),
])
def test_a_span_in_the_text_maps_to_the_html_it_came_from(source: str, word: str,
                                                          typed: str) -> None:
    plain = to_plain_text(source)
    start = plain.text.index(word)
    span = plain.source_span(Span(start, start + len(word)))
    assert source[span.start:span.end] == typed


def test_nothing_a_reader_sees_is_dropped_and_nothing_is_slow() -> None:
    """Unterminated constructs are text, read once (html.parser alone rescans each one)."""
    for source in ("<a " * 2000, "<!--" * 2000, '<a b="' * 2000, "<script>" + "x" * 100):
        assert to_plain_text(source).text == source


def test_plain_text_maps_to_itself() -> None:
    plain = to_plain_text("no markup here")
    assert plain.starts is None
    assert plain.source_span(Span(3, 9)) == Span(3, 9)


@given(st.text(alphabet=st.sampled_from(list("ab <>/&;#p!-\n")) | st.characters(),
               max_size=60))
def test_every_character_maps_inside_the_source_in_order(source: str) -> None:
    plain = to_plain_text(source)
    if plain.starts is None:
        assert plain.text == source
        return
    assert plain.ends is not None
    assert len(plain.starts) == len(plain.ends) == len(plain.text)
    for i, (start, end) in enumerate(zip(plain.starts, plain.ends, strict=True)):
        assert 0 <= start <= end <= len(source)
        if i:
            assert start >= plain.starts[i - 1]
        if end - start == 1 and plain.text[i] != "\n":  # NUL and \x01 are read as spaces
            assert source[start].replace("\x00", " ").replace("\x01", " ") == plain.text[i]
