"""Text -> hashed features for the propaganda classifier, and the same tokens for explanations.

Everything here is module level so that unpickling a saved Pipeline finds it.

Why the features look like this:

* `normalize_texts` runs `moderator.text.normalize` first, so the classifier sees what
  the rules see (NFKC, case folding, and whatever de-obfuscation the normaliser adds).
* `tokenize` drops the *form* of a tweet (URLs, @mentions, a leading RT, HTML entities,
  the `#` of hashtags, emoji and punctuation), so that "looks like a tweet" cannot stand
  in for "is propaganda". It returns offsets into the normalised text, which the
  normaliser maps back to what the user typed.
* Features are hashed (no vocabulary in the artifact): words, word pairs, character
  n-grams inside words (inflection, glued hashtags) and two pooled lexicon counts, one
  for how propagandists name their state, enemies and dead and one for how reporters
  and critics name the same things. The pooled counts let the weight learned from
  common terms carry over to rare ones in sources the model never saw.
* With `fold_doubles` (features version 5) every run of one letter counts as one letter
  in word, pair and character features and in the lexicons (`soldiers`, `ssoldiers`
  and `sooldiers` are one word; real doubles fold too, so `raqqa` is `raqa` for the
  model, at training and scoring alike). The normaliser cuts obfuscated runs
  (`sssoldiers`) to two letters, not one, because the rules need real doubles; the
  classifier needs neither.
* With `segment_spaced` (features version 5) a token the normaliser joined from letters
  typed apart with spaces or underscores is cut back into words: `t h e s o l d i e r s`
  with every word spaced is one token `thesoldiers` after the joiner, and the cheapest
  cut into words of the training vocabulary (Zipf costs by frequency rank) gives `the`
  `soldiers` back. Only such tokens are cut (`SpacedText` carries where letters were
  typed apart), so ordinary text gets exactly the features it had; a token that cannot
  be cut wholly into known words is left as it is.
* With `mute_conflict` (features version 6) the vocabulary of violence and war is muted
  like the topic words: explosions and bombs, rebels, army, regime, soldiers, fighters,
  civilians, airstrikes, militias, and the further parties and places of the wars (USA,
  Saudi, Israel, Zionists, Pakistan, Kashmir, Gaza ...). The data's ordinary sources drop
  rows with violence words but no terrorism keyword, so in training these words occur
  almost only in the supporters' front-line tweets: they named the source, not the stance
  (in LOSO they drove most false positives on the West, Texas explosion news and on the
  isextreme Syria-watchers' chatter). With `mute_religion_arabic` Allah in Arabic script
  (الله, والله, لله ...) is muted like its Latin and Cyrillic forms.
* With `mute_news_form` (features version 7) the words of news form (breaking, via,
  video, reports, watch) are muted like the topic words: the supporters' accounts post
  "#BREAKING" front-line news and "video via ...", so these words named a source's form,
  not a stance. With `mute_function_words` the commonest English function words (they,
  them, of, in, the, and ...) are muted too: most of the negatives' weight outside
  English is Russian and Kazakh text and nearly all propaganda is English, so on their
  own these words stood for "English" and leaned towards propaganda. Both still count in
  word pairs ("soldiers of", "against them", "breaking news").
* With `mute_factions` (features version 8) more of the Syrian war's towns and factions
  (Hasakah, Manbij, Ghouta, Ahrar, Jaysh, Jabhat, Tahrir, Jolani ...) and the Arabic name
  particles (abu, al, ibn, bin, umm) are muted like the topic words, and `khawarij` (with
  khariji, kharijites ...), the name critics and mainstream Muslims give IS, is muted and
  counts in the critics' lexicon. Outside the isextreme Syria-watchers' tweets these
  words occur almost only in the supporters' tweets, so they named that community, not a
  side.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import regex
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import murmurhash3_32

import moderator.text
from moderator.text import NormalizedText, normalize

# Bump when tokenisation or feature strings change: it is recorded in the model card.
FEATURES_VERSION = "8"

_SKIP = re.compile(
    r"https?://\S+|www\.\S+|\S+\.(?:com|ly|co|me|org|net)/\S*"  # links, short links
    r"|@\w+"  # mentions
    r"|&#?\w+;"  # HTML entities kept by the sources
    r"|^\s*rt\b",  # retweet marker
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d")

# Pooled lexicons (already case-folded). Phrases are matched as word pairs.
IN_GROUP = frozenset(
    [
        "khilafah", "khilafa", "khilafat", "khilafa's", "dawlah", "dawla", "dawlat",
        "dawlatul", "wilayah", "wilayat", "amaq", "baqiyah", "baqiya", "kuffar", "kufar",
        "kuffaar", "kafir", "kafirs", "kaafir", "murtad", "murtadd", "murtadeen",
        "murtaddin", "murtadin", "mushrikin", "mushrikeen", "rafidah", "rafida", "rafidi",
        "rawafid", "rafidites", "nusayri", "nusayris", "nusayriyyah", "sahwat", "sahwa",
        "taghut", "taghoot", "tawaghit", "crusaders", "crusader", "safavid", "safavids",
        "apostate", "apostates", "munafiqeen", "munafiqin", "shaheed", "shuhada",
        "shuhadaa", "taqabbalahullah", "istishhad", "istishhadi", "inghimasi",
        "inghimasiyyin", "mujahid", "mujahideen", "mujahidin", "mujahedeen", "muwahhid",
        "muwahhideen", "muhajir", "muhajireen", "bayah", "bay'ah", "baya", "sabilillah",
        "fisabilillah", "kufr", "mushrik", "rafidha", "rawafidh", "taghout", "tawagheet",
        "кафиры", "кафир", "муртады", "муртад", "тагут", "тагуты", "вилаят", "халифата",
        "моджахеды", "муджахиды"
    ]
)
IN_GROUP_PAIRS = frozenset(
    {
        ("islamic", "state"),
        ("soldiers", "of"),
        ("the", "khilafah"),
        ("the", "caliphate"),
        ("fi", "sabilillah"),
        ("amirul", "mu"),
        ("remaining", "and"),
    }
)
OUT_GROUP = frozenset(
    [
        "isis", "isil", "daesh", "daish", "terrorist", "terrorists", "terrorism",
        "militant", "militants", "extremist", "extremists", "extremism", "jihadist",
        "jihadists", "radicalised", "radicalized", "radicalisation", "radicalization",
        "insurgents", "condemn", "condemned", "condemns", "condemnation", "victims",
        "suspect", "suspects", "police", "officials", "reported", "according",
        "investigation", "arrested", "counterterrorism", "propaganda", "killed", "attack",
        "attacks", "игил", "игиля", "даиш", "террорист", "террористы", "террористов",
        "терроризм", "терроризма", "экстремист", "экстремисты", "экстремизм", "боевики",
        "боевиков", "теракт", "теракта", "осудил", "жертвы", "полиция", "лаңкес",
        "лаңкестер", "лаңкестік"
    ]
)
OUT_GROUP_PAIRS = frozenset({
    ("so", "called"), ("terror", "group"), ("terrorist", "group"), ("claimed", "responsibility"),
    ("claims", "responsibility"), ("так", "называемое"), ("так", "называемого"),
    ("так", "называемые"),
})


# A fixed probe: if the normaliser's output for it changes, the model needs a retrain.
_PROBE = "Ｔｅｒｒｏｒ ÉTAT İstanbul ß ﬁ Аль-Каида 1sl4m1c $tate h.o.l.y ٣ 𝐰𝐚𝐫 ǅ"


def normalizer_fingerprint() -> dict[str, str]:
    """What normaliser the model was trained with: its version, source hash and behaviour."""
    source = inspect.getsource(moderator.text)
    return {
        "version": str(getattr(moderator.text, "NORMALIZER_VERSION", "unversioned")),
        "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "probe_sha256": hashlib.sha256(
            moderator.text.normalize(_PROBE).text.encode("utf-8")).hexdigest(),
        "features_version": FEATURES_VERSION,
    }


class SpacedText(str):
    """Normalised text that remembers where letters typed apart were joined.

    `spaced` holds every position p such that normalised characters p and p + 1 are
    letters the commenter typed apart with spaces or underscores (`j i h a d`). The
    joiner cannot see word boundaries when every letter of a sentence is spaced
    (`t h e s o l d i e r s` becomes one token); with `segment_spaced` the features
    cut such tokens back into known words.
    """

    spaced: frozenset[int]

    def __new__(cls, text: str, spaced: frozenset[int]) -> SpacedText:
        out = super().__new__(cls, text)
        out.spaced = spaced
        return out


_GAP = regex.compile(r"[\s\p{Pc}\p{Cf}\p{Default_Ignorable_Code_Point}]+")
_GAP_MARK = regex.compile(r"[\s\p{Pc}]")


def features_text(norm: NormalizedText) -> str:
    """The normalised text for the features: a `SpacedText` if spaced letters were joined."""
    if not norm.joined:
        return norm.text
    text, starts, ends, original = norm.text, norm.starts, norm.ends, norm.original
    spaced = []
    for p in range(len(text) - 1):
        if ends[p] != starts[p + 1] and text[p].isalpha() and text[p + 1].isalpha():
            gap = original[ends[p]:starts[p + 1]]
            if _GAP.fullmatch(gap) and _GAP_MARK.search(gap):
                spaced.append(p)
    return SpacedText(text, frozenset(spaced)) if spaced else text


def normalize_texts(texts: Iterable[str]) -> list[str]:
    """The normalised form of every text (first step of the Pipeline)."""
    return [features_text(normalize(text)) for text in texts]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words of an already normalised text as (word, start, end), skipping tweet form."""
    skip = [m.span() for m in _SKIP.finditer(text)]
    digits = _DIGITS.search(text) is not None
    if not skip and not digits:  # the common case for comments: no per-word checks
        return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    tokens: list[tuple[str, int, int]] = []
    j = 0
    for match in _WORD.finditer(text):
        start, end = match.span()
        while j < len(skip) and skip[j][1] <= start:
            j += 1
        if j < len(skip) and skip[j][0] < end:
            continue
        word = match.group()
        if digits and not word.isalpha():  # most words hold no digit: skip the substitution
            word = _DIGITS.sub("0", word)
        tokens.append((word, start, end))
    return tokens


@functools.lru_cache(maxsize=1 << 16)
def char_grams(word: str, low: int, high: int) -> tuple[str, ...]:
    """Character n-grams of one word with boundary marks (cached: words repeat a lot)."""
    padded = f" {word} "
    grams = [
        "c" + padded[i : i + n]
        for n in range(low, high + 1)
        for i in range(len(padded) - n + 1)
    ]
    return tuple(grams) if len(padded) > low else ("c" + padded,)


# Words that name the topic rather than take a side: reporters, critics and supporters all
# use them, so with `mute_topic` they get no word or character features of their own
# (they still count in the lexicon and in word pairs, where the side shows).
TOPIC = re.compile(
    r"terror\w*|isis|isil|daesh|daish|extremis\w*|militan\w*|insurgen\w*|islamist\w*"
    r"|jihadist\w*|radicali[sz]\w*|taliban\w*|hamas|hezbollah|qaeda|baghdadi|zarqawi|laden"
    r"|террор\w*|теракт\w*|игил\w*|даиш\w*|экстремис\w*|исламист\w*|боевик\w*|лаңкес\w*"
    # The wars' places and parties: supporters tweet them as front-line news and everyone
    # else argues about them, so they name the topic, not a side (muting them halved the
    # false positives on the unseen isextreme discussion tweets).
    r"|syria\w*|iraq\w*|raqq?a|mosul|aleppo|halab|idlib|deir|ezzor|homs|hama|palmyra|kobani"
    r"|fallujah|ramadi|anbar|libya\w*|sirte|afghan\w*|assad\w*|alawit\w*|kurd\w*|ypg|pkk"
    r"|sdf|fsa|peshmerga|shia|shiite\w*|sunni\w*|hts|nusra|iran\w*|russia\w*|turk\w*"
    r"|сири\w*|ирак\w*|асад\w*"
)


# Words of ordinary faith: readers of a Central Asian news site write "Аллах", "inshallah",
# "alhamdulillah", "Allah rest their souls" every day, while the propaganda in the data
# uses the same words constantly. With `mute_religion` they get no word, character or
# word-pair features at all, so piety cannot stand in for propaganda; the side must show
# in the other words (kuffar, crusaders, "soldiers of the khilafah", ...).
RELIGION = re.compile(
    r"allah\w*|\w*allah|\w*allahu?|alla|alloh\w*|god|gods|lord|amen|ameen|aameen|amin|ameem"
    r"|insha|inshaa|insya|masha|mashaa|sha|shaa|subhan\w*|alhamdu\w*|hamdu\w*"
    r"|bismi\w*|astaghfir\w*|jazak\w*|rahimahu\w*|rahmat\w*|jannah|jannat\w*|jannatul"
    r"|firdaus|firdous|swt|pbuh|sallallahu|alaihi|alayhi|wasallam|salam|salaam|assalamu"
    r"|alaikum|walaikum|rabb|rabbi|akbar|muslim\w*|islam|mosque\w*|masjid\w*"
    r"|pray\w*|quran\w*|koran\w*|prophet\w*|muhammad|mohammed|ramadan|ramazan|eid|mubarak"
    r"|fasting|hajj|umrah|dua|duas|deen|iman|imaan|sunnah|hadith|namaz|salah|salat|jumu?ah"
    r"|juma|ummah|shahada|tawh?eed|tawhid|hijrah|halal|heaven|paradise|souls?|faith"
    r"|аллах\w*|алла|аллаһ\w*|бог|бога|богу|богом|господ\w*|аминь|әмин|әумин"
    r"|иншалла\w*|альхамдулил\w*|алхамдулил\w*|машалла\w*|субханалла\w*|бисмилл\w*"
    r"|мусульман\w*|мұсылман\w*|ислам|ислама|исламу|исламом|исламе|мечет\w*|мешіт\w*"
    r"|молит\w*|молю\w*|намаз\w*"
    r"|коран\w*|құран\w*|пророк\w*|пайғамбар\w*|рамадан\w*|ураза\w*|ораза\w*|курбан\w*"
    r"|құрбан\w*|байрам\w*|хадж\w*|дұға\w*|дуа|рай|рая|раю|жаннат\w*|жұмақ\w*|упокой\w*"
    r"|құдай\w*|тағала|иман\w*|рахмет\w*|рақым\w*|душ[иау]|душам|таухид\w*"
)


# Features version 6, `mute_conflict`: violence and war vocabulary and the wars' further
# parties. The violence words are the data build's `VIOLENCE_RE` list: the ordinary
# sources drop a row with one of them and no terrorism keyword, so in training they occur
# almost only in the supporters' front-line tweets (and in the West, Texas explosion
# news, which the model then flagged when it had not seen them).
CONFLICT = re.compile(
    r"bomb\w*|blast\w*|explosi\w*|explod\w*|kidnap\w*|abduct\w*|hostage\w*|gunm[ae]n"
    r"|hijack\w*|guerrilla\w*|separatist\w*|rebel|rebels|massacre\w*|assassin\w*"
    r"|execut(?:e|ed|ion|ions)|ambush\w*"
    r"|бомб\w*|взрыв\w*|взорва\w*|похищ\w*|похити\w*|заложни\w*|партизан\w*|сепаратист\w*"
    r"|повстан\w*|мятежник\w*|покушени\w*|жарылыс\w*|жарылғыш\w*|кепілге|бүлікші\w*"
    r"|қастандық\w*"
    # War: who fights and how. Front-line reports and the people who argue about them
    # use the same words.
    r"|army|armies|regime|regimes|saa|soldier|soldiers|fighter|fighters|civilian|civilians"
    r"|airstrike\w*|militia|militias|troop|troops|clashes|shelling|artillery|warplane\w*"
    r"|frontline\w*|jets"
    # Further parties and places of the wars.
    r"|usa|america\w*|saudi\w*|qatar\w*|israel\w*|zionis\w*|pakistan\w*|kashmir\w*"
    r"|yemen\w*|houthi\w*|lebanon\w*|lebanes\w*|egypt\w*|jordan\w*|gaza|palestin\w*"
    r"|nigeria\w*|somali\w*"
)
# Features version 6, `mute_religion_arabic`: Allah in Arabic script, with its prefixes
# (والله, بالله, لله, اللهم, عبدالله ...).
RELIGION_ARABIC = re.compile(r"\w*لله\w*|\w*اللة\w*")
# Features version 7, `mute_news_form`: the form of news posts. The supporters' accounts
# post "#BREAKING" front-line news and "video via ..."; the ordinary sources are mostly
# not news tweets, so these words named the source's form, as links and mentions do
# (which `tokenize` drops). "breaking" was the top term of 43 of the 95 West, Texas
# explosion tweets still flagged in LOSO with version 6.
NEWS_FORM = re.compile(r"breaking|via|videos?|reports?|watch")
# Features version 7, `mute_function_words`: the commonest English function words. With
# the source weights about 43% of the `other` weight is Russian or Kazakh text against 6%
# of the propaganda weight, so on their own these words stood for "English" and leaned
# towards propaganda ("they" was the top term of 36 of the unseen isextreme tweets
# flagged with version 6); in word pairs they still count.
FUNCTION_WORDS = re.compile(
    r"they|them|their|in|of|by|from|the|a|an|and|to|on|at|for|with|is|are|was|were|he|his"
    r"|we|you|it|this|that"
)
# Features version 8, `mute_factions`: more towns and factions of the Syrian war, the
# Arabic name particles, and `khawarij` (the critics' name for IS). Outside the isextreme
# Syria-watchers' tweets they occur almost only in the supporters' tweets (khawarij: 47
# Fifth Tribe rows, no other negatives), so they named that community; the top term of
# 11 and 6 of the unseen isextreme tweets flagged with version 7 was khawarij and hasakah.
FACTIONS = re.compile(
    r"hasakah?|hasaka|qamishli|daraa|deraa|tabqa|manbij|jarablus|azaz|ghouta|douma|afrin"
    r"|kirkuk|tikrit|baghdad|sinai|hawija|tal\w?afar|dabiq|bab|sham|shaam|latakia|damascus"
    r"|ahrar|jaysh|jabhat|tahrir|zenki|faylaq|jolani|jowlani|jawlani|julani"
    r"|abu|al|ibn|bin|umm"
    r"|khawa?rij\w*|kharij\w*|khaw?arej\w*|khaarij\w*|хаваридж\w*|хариджит\w*"
)
# With `mute_factions` these count in the critics' lexicon (L-).
CRITICS_NAMES = frozenset([
    "khawarij", "khawaarij", "khawarej", "khariji", "kharijis", "kharijites", "kharijite",
    "khawarijs", "khaarijee", "khawaarijs", "хаваридж", "хариджиты",
])


_DOUBLE = re.compile(r"(\w)\1+")


@functools.lru_cache(maxsize=1 << 17)
def fold_doubles(word: str) -> str:
    """Every run of one letter as one letter: `ssoldiers`, `sooldiers` -> `soldiers`."""
    return _DOUBLE.sub(r"\1", word)


def _folded_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold_doubles(w) for w in words)


IN_GROUP_FOLDED = _folded_set(IN_GROUP)
OUT_GROUP_FOLDED = _folded_set(OUT_GROUP)
IN_GROUP_PAIRS_FOLDED = frozenset((fold_doubles(a), fold_doubles(b)) for a, b in IN_GROUP_PAIRS)
OUT_GROUP_PAIRS_FOLDED = frozenset((fold_doubles(a), fold_doubles(b))
                                   for a, b in OUT_GROUP_PAIRS)
CRITICS_NAMES_FOLDED = _folded_set(CRITICS_NAMES)
# Ordinary words whose folded form is a muted word (`good` -> `god`): muted only as typed.
_FOLD_COLLISIONS = frozenset({"good", "goods"})


@functools.lru_cache(maxsize=1 << 17)
def _mutes(word: str, fold: bool, conflict: bool = False, arabic: bool = False,
           news: bool = False, function: bool = False,
           factions: bool = False) -> tuple[bool, bool]:
    """(religion, topic): does `word` (or, with `fold`, its folded form) name faith or topic?

    `conflict` adds the violence and war words to the topic, `arabic` Allah in Arabic
    script to faith (features version 6); `news` adds the news-form words and `function`
    the English function words to the topic (features version 7); `factions` the towns,
    factions, name particles and khawarij of `FACTIONS` (features version 8).
    """
    forms = [word]
    if fold and word not in _FOLD_COLLISIONS and fold_doubles(word) != word:
        forms.append(fold_doubles(word))  # `hammas`, `aamiin`, `isiss` are muted too
    religion = any(RELIGION.fullmatch(f) or (arabic and RELIGION_ARABIC.fullmatch(f))
                   for f in forms)
    topic = any(TOPIC.fullmatch(f) or (conflict and CONFLICT.fullmatch(f))
                or (news and NEWS_FORM.fullmatch(f)) or (function and FUNCTION_WORDS.fullmatch(f))
                or (factions and FACTIONS.fullmatch(f))
                for f in forms)
    return religion, topic


def word_features(
    word: str, char_range: tuple[int, int] | None, lexicon: bool, mute_topic: bool = False,
    mute_religion: bool = False, fold: bool = False, mute_conflict: bool = False,
    mute_religion_arabic: bool = False, mute_news_form: bool = False,
    mute_function_words: bool = False, mute_factions: bool = False,
) -> list[str]:
    """Feature strings that belong to one word (used by the vectoriser and explanations)."""
    religion, topic = _mutes(word, fold, mute_conflict, mute_religion_arabic, mute_news_form,
                             mute_function_words, mute_factions)
    if mute_religion and religion:
        return []
    if fold:
        word = fold_doubles(word)
    in_group, out_group = (IN_GROUP_FOLDED, OUT_GROUP_FOLDED) if fold else (IN_GROUP, OUT_GROUP)
    if mute_factions:
        out_group = out_group | (CRITICS_NAMES_FOLDED if fold else CRITICS_NAMES)
    if mute_topic and topic:
        return ["L-"] if lexicon and word in out_group else []
    feats = ["w" + word]
    if char_range:
        feats.extend(char_grams(word, *char_range))
    if lexicon:
        if word in in_group:
            feats.append("L+")
        if word in out_group:
            feats.append("L-")
    return feats


def pair_features(first: str, second: str, lexicon: bool, mute_religion: bool = False,
                  fold: bool = False, mute_religion_arabic: bool = False) -> list[str]:
    """Feature strings that belong to one pair of neighbouring words."""
    if mute_religion and (_mutes(first, fold, False, mute_religion_arabic)[0]
                          or _mutes(second, fold, False, mute_religion_arabic)[0]):
        return []
    in_pairs, out_pairs = IN_GROUP_PAIRS, OUT_GROUP_PAIRS
    if fold:
        first, second = fold_doubles(first), fold_doubles(second)
        in_pairs, out_pairs = IN_GROUP_PAIRS_FOLDED, OUT_GROUP_PAIRS_FOLDED
    feats = [f"b{first}\x01{second}"]
    if lexicon:
        if (first, second) in in_pairs:
            feats.append("L+")
        if (first, second) in out_pairs:
            feats.append("L-")
    return feats


@functools.lru_cache(maxsize=1 << 17)
def pair_columns(first: str, second: str, lexicon: bool, n_features: int,
                 mute_religion: bool = False, fold: bool = False,
                 mute_religion_arabic: bool = False) -> tuple[int, ...]:
    """Columns of the features of one word pair, cached like `word_columns`."""
    return tuple(column(f, n_features) for f in pair_features(
        first, second, lexicon, mute_religion, fold, mute_religion_arabic))


def column(feature: str, n_features: int) -> int:
    """The column of one feature string: MurmurHash3 (seed 0) modulo the table size."""
    return int(murmurhash3_32(feature, seed=0, positive=True)) % n_features


# One-letter words a spaced-letter token may hold; other single letters are not pieces.
_ONE_LETTER_WORDS = frozenset("aiиваяскуоo")
_MAX_PIECE = 30


def build_vocabulary(texts: Iterable[str], min_count: int) -> str:
    """Words seen at least `min_count` times, most frequent first, one per line."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w, _, _ in tokenize(text))
    words = sorted((w for w, n in counts.items()
                    if n >= min_count and "0" not in w and len(w) <= _MAX_PIECE
                    and (len(w) > 1 or w in _ONE_LETTER_WORDS)),
                   key=lambda w: (-counts[w], w))
    return "\n".join(words)


def piece_costs(vocabulary: str) -> dict[str, float]:
    """Zipf costs for segmentation: a word of rank r costs log(r * log N)."""
    words = vocabulary.split("\n") if vocabulary else []
    scale = math.log(max(len(words), 2))
    return {w: math.log((rank + 1) * scale) for rank, w in enumerate(words)}


def segment(token: str, costs: Mapping[str, float]) -> list[tuple[int, int]] | None:
    """Cheapest cut of `token` into known words, as (start, end) pieces; None if none."""
    n = len(token)
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - _MAX_PIECE), j):
            if best[i] == math.inf:
                continue
            cost = costs.get(token[i:j])
            if cost is not None and best[i] + cost < best[j]:
                best[j], back[j] = best[i] + cost, i
    if best[n] == math.inf:
        return None
    pieces = []
    j = n
    while j:
        pieces.append((back[j], j))
        j = back[j]
    return pieces[::-1]


@functools.lru_cache(maxsize=1 << 17)
def word_columns(
    word: str, char_range: tuple[int, int] | None, lexicon: bool, n_features: int,
    mute_topic: bool = False, mute_religion: bool = False, fold: bool = False,
    mute_conflict: bool = False, mute_religion_arabic: bool = False,
    mute_news_form: bool = False, mute_function_words: bool = False,
    mute_factions: bool = False,
) -> np.ndarray:
    """Columns of all features of one word, cached: hashing dominates the cost otherwise."""
    feats = word_features(word, char_range, lexicon, mute_topic, mute_religion, fold,
                          mute_conflict, mute_religion_arabic, mute_news_form,
                          mute_function_words, mute_factions)
    return np.fromiter((column(f, n_features) for f in feats), dtype=np.int32, count=len(feats))


class HashedFeatures(TransformerMixin, BaseEstimator):
    """Normalised texts -> log-scaled, L2-normalised hashed counts.

    Hashed, so no feature vocabulary; with `segment_spaced`, `fit` keeps one list of the
    frequent words (`vocabulary_`, a few hundred kB) to cut spaced-letter tokens with.
    """

    def __init__(
        self,
        n_features: int = 1 << 19,
        char_range: tuple[int, int] | None = (3, 5),
        pairs: bool = True,
        lexicon: bool = True,
        mute_topic: bool = False,
        mute_religion: bool = False,
        fold_doubles: bool = False,
        segment_spaced: bool = False,
        vocabulary_min_count: int = 5,
        mute_conflict: bool = False,
        mute_religion_arabic: bool = False,
        mute_news_form: bool = False,
        mute_function_words: bool = False,
        mute_factions: bool = False,
    ) -> None:
        self.n_features = n_features
        self.char_range = char_range
        self.pairs = pairs
        self.lexicon = lexicon
        self.mute_topic = mute_topic
        self.mute_religion = mute_religion
        self.fold_doubles = fold_doubles
        self.segment_spaced = segment_spaced
        self.vocabulary_min_count = vocabulary_min_count
        self.mute_conflict = mute_conflict
        self.mute_religion_arabic = mute_religion_arabic
        self.mute_news_form = mute_news_form
        self.mute_function_words = mute_function_words
        self.mute_factions = mute_factions

    def fit(self, texts: Sequence[str], y: object = None) -> HashedFeatures:
        self.n_features_out_ = self.n_features
        if getattr(self, "segment_spaced", False):
            self.vocabulary_ = build_vocabulary(texts, self.vocabulary_min_count)
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_costs", None)  # rebuilt from `vocabulary_` on first use
        return state

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """`tokenize`, with tokens typed as spaced letters cut back into known words."""
        tokens = tokenize(text)
        spaced = getattr(text, "spaced", None)
        if not spaced or not getattr(self, "segment_spaced", False):
            return tokens
        costs = self.__dict__.get("_costs")
        if costs is None:
            costs = self.__dict__["_costs"] = piece_costs(getattr(self, "vocabulary_", ""))
        out: list[tuple[str, int, int]] = []
        for word, start, end in tokens:
            # Three or more letters typed apart: the joiner may have glued words together.
            if sum(p in spaced for p in range(start, end - 1)) >= 2:
                pieces = segment(word, costs)
                if pieces and len(pieces) > 1:
                    out.extend((word[a:b], start + a, start + b) for a, b in pieces)
                    continue
            out.append((word, start, end))
        return out

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def _switches(self) -> tuple[tuple[int, int] | None, tuple[bool, ...], tuple[bool, ...]]:
        """(char range, word switches, pair switches) in the order the feature functions take.

        Switches added after features version 3 read False on artifacts saved before them,
        so an old model keeps the features it was trained with.
        """
        char_range = tuple(self.char_range) if self.char_range else None
        religion = getattr(self, "mute_religion", False)  # v4
        fold = getattr(self, "fold_doubles", False)  # v5
        arabic = getattr(self, "mute_religion_arabic", False)  # v6
        word = (self.mute_topic, religion, fold, getattr(self, "mute_conflict", False), arabic,
                getattr(self, "mute_news_form", False),  # v7
                getattr(self, "mute_function_words", False),  # v7
                getattr(self, "mute_factions", False))  # v8
        return char_range, word, (religion, fold, arabic)

    def word_feature_strings(self, word: str) -> list[str]:
        """`word_features` of one word under this step's settings (for explanations)."""
        char_range, switches, _ = self._switches()
        return word_features(word, char_range, self.lexicon, *switches)

    def pair_feature_strings(self, first: str, second: str) -> list[str]:
        """`pair_features` of one word pair under this step's settings (for explanations)."""
        _, _, switches = self._switches()
        return pair_features(first, second, self.lexicon, *switches)

    def columns(self, text: str) -> np.ndarray:
        """Column of every feature occurrence in one normalised text (with repeats)."""
        words = [w for w, _, _ in self.tokens(text)]
        char_range, word_switches, pair_switches = self._switches()
        parts = [word_columns(w, char_range, self.lexicon, self.n_features, *word_switches)
                 for w in words]
        if self.pairs and len(words) > 1:
            pair_cols = [c for a, b in itertools.pairwise(words)
                         for c in pair_columns(a, b, self.lexicon, self.n_features,
                                               *pair_switches)]
            parts.append(np.array(pair_cols, np.int32))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's sparse row: its columns and L2-normalised log counts."""
        cols, counts = np.unique(self.columns(text), return_counts=True)
        weights = np.log1p(counts.astype(np.float32))
        norm = float(np.sqrt(np.dot(weights, weights)))
        return cols.astype(np.int32), (weights / norm if norm else weights)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr = [0]
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for text in texts:
            cols, weights = self.row(text)
            indices.append(cols)
            values.append(weights)
            indptr.append(indptr[-1] + len(cols))
        return sp.csr_matrix(
            (np.concatenate(values) if values else np.zeros(0, np.float32),
             np.concatenate(indices) if indices else np.zeros(0, np.int32),
             np.asarray(indptr, dtype=np.int64)),
            shape=(len(texts), self.n_features), dtype=np.float32,
        )

    def index_of(self, feature: str) -> int:
        """The column a feature string hashes to (same hash as `transform`)."""
        return column(feature, self.n_features)
