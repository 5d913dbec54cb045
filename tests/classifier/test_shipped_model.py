"""The promoted model in `models/`: ordinary religious comments stay out of the review queue.

Readers of a Central Asian news site write "Аллах", "inshallah", "alhamdulillah" and
"Allah rest their souls" every day; the propaganda in the training data uses the same
words. These comments were written for this test (no data rows); every one of them must
score below the shipped model's review threshold, in English, Russian and Kazakh.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderator.classifier import load_model, resolve_current
from moderator.classifier.data import NEGATIVES, load_csvs
from moderator.classifier.evaluate import unseen_rows
from moderator.classifier.model import Model
from moderator.classifier.train import source_weights
from moderator.text import normalize

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
def test_repeats_and_spaced_letters_cannot_lower_the_served_score(
        shipped: Model, plain: str, typed: str) -> None:
    """Served through the rule engine's normalised text, evasion scores at least as high
    as the typed text would and at least half the plain text's score; spans point at what
    was typed. (Letter-spaced words come out of the normaliser glued into one run, so
    their score stays below the plain text's: the word lists' evidence covers them.)"""
    served = shipped.score_normalized([normalize(typed)])[0]
    assert served >= shipped.score([typed])[0]
    assert served >= 0.5 * shipped.score([plain])[0], served
    for c in shipped.explain(typed, normalized=normalize(typed)):
        assert typed[c.start:c.end] == c.term and c.term.strip()


# Written for this test (no data rows): news-form posts and short replies made of English
# function words.
NEWS_FORM_AND_SHORT_REPLIES = [
    "BREAKING: video via local news",
    "Reports say the plant is on fire, watch live video",
    "They",
    "Them again.",
    "All of them",
]


# Critics call IS "khawarij"; the Syria-watchers' replies name towns, factions and
# kunyas. Written for this test.
CRITICS_AND_FACTIONS = [
    "Those khawarij are not Muslims.",
    "The khawarij again.",
    "Abu who? Never heard of him.",
    "Ahrar and Jaysh al-Islam are still fighting near Hasakah.",
]


#: Everything above written to take no side: none of it may be held for review.
#: The plain recipe learns faction names from the ISIS tweets: a known gap (docs/classifier.md).
KNOWN_HELD = {"Ahrar and Jaysh al-Islam are still fighting near Hasakah."}
KNOWN_MISS = "faction names alone push this news-style sentence past review"
TAKES_NO_SIDE = {
    "religious": RELIGIOUS_COMMENTS,
    "conflict news": CONFLICT_NEWS,
    "news form and short replies": NEWS_FORM_AND_SHORT_REPLIES,
    "critics and factions": CRITICS_AND_FACTIONS,
}


@pytest.mark.parametrize(("kind", "text"),
                         [pytest.param(kind, text, marks=pytest.mark.xfail(
                             strict=True, reason=KNOWN_MISS)) if text in KNOWN_HELD
                          else (kind, text)
                          for kind, texts in TAKES_NO_SIDE.items() for text in texts])
def test_comments_that_take_no_side_score_below_review(shipped: Model, kind: str,
                                                        text: str) -> None:
    (score,) = shipped.score([text])
    assert score < shipped.thresholds["review"], (kind, score, shipped.explain(text))


def test_card_thresholds_follow_the_stated_rule(shipped: Model, shared_data: Path) -> None:
    """On the validation rows they were chosen on, review flags at most 0.2% of negatives
    with every source weighted equally, reject at most 0.02%, and the card's recall is
    what those rows give."""
    files = sorted(shared_data.glob("*.csv"))
    data = load_csvs(files)
    keep, _ = unseen_rows(shipped, data)
    rows = data.subset(keep.tolist())
    scores = np.asarray(shipped.score(rows.texts))
    labels, sources = np.asarray(rows.labels), np.asarray(rows.sources)
    negative = np.isin(labels, NEGATIVES)
    weights = source_weights(sources[negative].tolist(), ["n"] * int(negative.sum()))
    weights /= weights.sum()
    for name, share in (("review", 0.002), ("reject", 0.0002)):
        flagged = scores[negative] >= shipped.thresholds[name]
        assert weights[flagged].sum() <= share + 1e-9, name
    recall = float((scores[labels == "propaganda"] >= shipped.thresholds["review"]).mean())
    assert recall == pytest.approx(shipped.card["threshold_rule"]["recall_at_review"],
                                   abs=1e-4)


def test_shipped_artifact_is_data_only_and_small(shipped: Model) -> None:
    card = shipped.card
    assert card["format"] == "moderator-linear-ngrams-v1"
    assert card["artifact"]["file"] == "model.npz"
    assert card["artifact"]["bytes"] <= 10 * 1024 * 1024
    assert card["version"] == "propaganda/" + (MODELS / "propaganda" / "CURRENT").read_text(
        encoding="utf-8").strip()
