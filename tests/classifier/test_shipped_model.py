"""The promoted model in `models/`: ordinary religious comments stay out of the review queue.

Readers of a Central Asian news site write "Аллах", "inshallah", "alhamdulillah" and
"Allah rest their souls" every day; the propaganda in the training data uses the same
words. These comments were written for this test (no data rows); every one of them must
score below the shipped model's review threshold, in English, Russian and Kazakh.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from moderator.classifier import load_model, resolve_current
from moderator.classifier.data import NEGATIVES, load_csvs
from moderator.classifier.evaluate import evaluate_model
from moderator.classifier.features import RELIGION, fold_doubles, pair_features, word_features
from moderator.classifier.model import Model

MODELS = Path(__file__).resolve().parents[2] / "models"

RELIGIOUS_COMMENTS = [
    # English: condolences, greetings, everyday phrases.
    "Allah rest their souls. My condolences to the families of the victims.",
    "May Allah grant them Jannah and give their families patience.",
    "Inshallah the road to the village will be repaired before winter.",
    "Alhamdulillah, everyone in our street is safe after the earthquake.",
    "Ramadan Mubarak to all readers! May Allah accept our fasting and prayers.",
    "Eid Mubarak, brothers and sisters. Taqabbal Allahu minna wa minkum.",
    "SubhanAllah, what a beautiful new mosque they opened in Shymkent.",
    "Mashallah, congratulations to the girls from Almaty on the gold medal!",
    "We prayed for the miners at Friday prayer. God protect them, amen.",
    "Assalamu alaikum, does anyone know when the new school opens? JazakAllah khair",
    # Russian.
    "Пусть Аллах упокоит их души. Соболезную родным и близким.",
    "Иншаллах, к зиме дорогу всё-таки отремонтируют.",
    "Альхамдулиллях, все живы и здоровы, спасибо соседям за помощь.",
    "С праздником Курбан-байрам! Пусть Аллах примет наши молитвы.",
    "Машаллах, какие молодцы наши спортсмены, Аллах им в помощь.",
    # Kazakh.
    "Алла рахметіне алсын, марқұмның отбасына көңіл айтамын.",
    "Иншалла, көктемде жол жөнделеді деп үміттенеміз.",
    "Алхамдулилла, ауылдағылардың бәрі аман-есен.",
    "Ораза айт құтты болсын! Алла тағала оразамызды қабыл етсін.",
    "Жұма намазынан кейін мешітте ауылдастар жиналды, Аллаға шүкір.",
]


@pytest.fixture(scope="module")
def shipped() -> Model:
    return load_model(resolve_current(MODELS))


def test_religious_words_do_not_explain_a_score(shipped: Model) -> None:
    for text in RELIGIOUS_COMMENTS:
        for c in shipped.explain(text, top_k=5):
            assert not RELIGION.fullmatch(c.term), (text, c)


@pytest.mark.parametrize("word", ["allah", "аллах", "алла", "inshallah", "alhamdulillah",
                                  "иншаллах", "мешіт", "mosque", "prayers", "amen"])
def test_religious_words_have_no_features(word: str) -> None:
    assert word_features(word, (3, 5), lexicon=True, mute_religion=True) == []
    assert pair_features("may", word, lexicon=True, mute_religion=True) == []
    assert word_features(word, (3, 5), lexicon=True, mute_religion=False)


@pytest.mark.parametrize("word", ["kuffar", "khilafah", "crusaders", "islamic", "in", "saw"])
def test_side_taking_and_common_words_are_not_muted(word: str) -> None:
    assert word_features(word, (3, 5), lexicon=True, mute_religion=True)


# Written for this test (no data rows): news and talk about explosions and wars, which take
# no side, and two sentences that do. Features version 6 mutes the violence and war words.
CONFLICT_NEWS = [
    "BREAKING: huge explosion at the fertiliser plant outside town, dozens injured, video here",
    "Gas explosion in an apartment block in Karaganda, rescuers are searching the rubble.",
    "The army says the rebels shelled the airport again; civilians are leaving the city.",
    "Airstrikes on the regime's positions near the border, according to local reporters.",
]
SIDE_TAKING = [
    "Soldiers of the Khilafah stormed the apostate army base, may Allah accept the martyrs",
    "The kuffar crusaders and their regime will be destroyed by the mujahideen",
]


@pytest.mark.parametrize("text", SIDE_TAKING)
def test_side_taking_about_the_same_war_is_still_flagged(shipped: Model, text: str) -> None:
    (score,) = shipped.score([text])
    assert score >= shipped.thresholds["review"], (score, shipped.explain(text))


# Written for this test (no data rows): plain, letters repeated, every word spaced.
OBFUSCATED = [
    ("Join the soldiers of the Khilafah and fight the crusaders",
     "Joooin thhhe ssssoldiers of thhe Khiiilaaafah annnd fiiight thhhe crusssaders"),
    ("Join the soldiers of the Khilafah and fight the crusaders",
     "J o i n t h e s o l d i e r s of t h e K h i l a f a h a n d f i g h t t h e "
     "c r u s a d e r s"),
    ("Join the soldiers of the Khilafah and fight the crusaders",
     "J_o_i_n t_h_e s_o_l_d_i_e_r_s of t_h_e K_h_i_l_a_f_a_h a_n_d f_i_g_h_t t_h_e "
     "c_r_u_s_a_d_e_r_s"),
]


@pytest.mark.parametrize(("plain", "typed"), OBFUSCATED)
def test_shipped_model_scores_repeats_and_spaced_words_like_the_plain_text(
        shipped: Model, plain: str, typed: str) -> None:
    assert shipped.score([typed]) == pytest.approx(shipped.score([plain]), abs=1e-6)
    explained = shipped.explain(typed)
    assert explained
    for c in explained:  # each span covers exactly the letters of its (folded) term
        letters = re.sub(r"[\s_]", "", typed[c.start:c.end]).lower()
        assert fold_doubles(letters) == fold_doubles(re.sub(r"[\s_]", "", c.term)), c


# Written for this test (no data rows): news-form posts and short replies made of English
# function words. Features version 7 mutes both (2026.11.25.4 held the first for review).
NEWS_FORM_AND_SHORT_REPLIES = [
    "BREAKING: video via local news",
    "Reports say the plant is on fire, watch live video",
    "They",
    "Them again.",
    "All of them",
]


# Critics call IS "khawarij"; the Syria-watchers' replies name towns, factions and
# kunyas. Features version 8 mutes them (khawarij counts for the critics). Written for
# this test.
CRITICS_AND_FACTIONS = [
    "Those khawarij are not Muslims.",
    "The khawarij again.",
    "Abu who? Never heard of him.",
    "Ahrar and Jaysh al-Islam are still fighting near Hasakah.",
]


@pytest.mark.parametrize("switch", ["mute_religion", "mute_conflict", "mute_news_form",
                                    "mute_function_words", "mute_factions"])
def test_shipped_model_was_trained_with_each_muting_switch(shipped: Model, switch: str) -> None:
    assert shipped.card["hyperparameters"][switch] is True
    assert getattr(shipped.pipeline.named_steps["features"], switch, False)


#: Everything above written to take no side: none of it may be held for review.
TAKES_NO_SIDE = {
    "religious": RELIGIOUS_COMMENTS,
    "conflict news": CONFLICT_NEWS,
    "news form and short replies": NEWS_FORM_AND_SHORT_REPLIES,
    "critics and factions": CRITICS_AND_FACTIONS,
}


@pytest.mark.parametrize(("kind", "text"),
                         [(kind, text) for kind, texts in TAKES_NO_SIDE.items() for text in texts])
def test_comments_that_take_no_side_score_below_review(shipped: Model, kind: str,
                                                        text: str) -> None:
    (score,) = shipped.score([text])
    assert score < shipped.thresholds["review"], (kind, score, shipped.explain(text))


def test_review_threshold_holds_every_source_to_its_budget(shipped: Model,
                                                           shared_data: Path) -> None:
    """On the validation rows it was chosen on, no source's negatives pass the 1% budget."""
    files = sorted(shared_data.glob("*.csv"))
    report = evaluate_model(shipped, load_csvs(files))  # the model's validation rows only
    rule = shipped.card["threshold_rule"]["review"]
    budget, min_rows = rule["max_validation_fpr_per_source"], rule["per_source_min_rows"]
    checked = 0
    for source, block in report["by_source"].items():
        for label in NEGATIVES:
            if block["rows"][label] >= min_rows:
                assert block["review"][f"fpr_{label}"] <= budget, (source, label, block)
                checked += 1
    assert checked >= 10
