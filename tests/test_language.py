"""Language detection by script and letters: en, ru, kk, other."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.language import detect, detect_by_counts


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The council approved the budget on Tuesday.", "en"),
        ("I think the mayor is wrong about this", "en"),
        ("Совет одобрил бюджет во вторник.", "ru"),
        ("Я думаю, мэр неправ. Ok?", "ru"),
        ("Қалалық кеңес сейсенбіде жаңа бюджетті бекітті.", "kk"),
        ("Бүгін ауа райы жақсы", "kk"),
        ("Бұл өте жақсы жаңалық", "kk"),
        ("Рахмет, бәрі дұрыс", "kk"),
        ("Добрий день, як справи? Їжак", "other"),  # Ukrainian
        ("Guten Tag, schöne Grüße aus München", "other"),  # German
        ("日本語のテキスト", "other"),
        ("مرحبا بالعالم", "other"),
        ("123 456 !!!", "other"),
        ("", "other"),
        ("🙂🙂🙂", "other"),
    ],
)
def test_detect(text: str, language: str) -> None:
    assert detect(text) == language


def test_one_stray_kazakh_letter_in_long_russian_text_is_still_russian() -> None:
    text = "Совет одобрил бюджет во вторник, жители довольны решением и ждут ремонта дорог. " * 3
    assert detect(text + "і") == "ru"


@pytest.mark.parametrize("text", ["ЖИҺАД", "ҚАЗАҚСТАН"])
def test_upper_case_kazakh(text: str) -> None:
    assert detect(text) == "kk"


@settings(max_examples=300, derandomize=True)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=200))
def test_ascii_shortcut_agrees_with_the_letter_counts(text: str) -> None:
    assert detect(text) == detect_by_counts(text)
