"""Side by side, one run, same splits: the plain baseline against the shipped recipe.

`bench/bench_quality.py` and `moderator evaluate --baseline` print what this measures:

* **baseline**: scikit-learn's own pipeline, exactly as issue #12 defines it
  (HashingVectorizer word 1-2 grams + char_wb 2-5 grams, 2**20 columns each, sublinear
  TfidfTransformer per block, LogisticRegression(C=4, class_weight="balanced")).
* **shipped**: `moderator.classifier.train` (the same features hashed with numpy, the
  model stored as data) as `moderator train` builds it; **served** is that model as the
  rule engine calls it (the higher of the typed and the normalised reading).
* **NB ratio**: the shipped recipe with every column scaled by its naive-Bayes log-count
  ratio before the regression (NB-LR), tried and kept out (`--ablations`).
* **source-balanced**: the shipped recipe with every (source, label) weighted equally,
  a refinement tried and kept out (`--ablations`).
* **C=16**: the shipped recipe with a weaker penalty, tried and kept out (`--ablations`).
* **concepts**: the shipped recipe with shared concept tokens from the incitement
  lexicons (`Params(concepts=True)`, a documented option; `--ablations`). Its concept
  tokens are counted apart and added to the same n-gram counts.
* **source sqrt**: every (source, label) group weighted by 1/sqrt(rows), each label's
  total weight kept (`Params(source_exponent=0.5)`, between plain and source-balanced).
* **near-dup**: every row weighted by 1 / the copies of its text (the split key:
  retweets and relinked copies), each label's total kept (`Params(near_dup=True)`);
  **near-dup + source sqrt** both (group sizes count copies once).
* **NB ratio + source sqrt**, **NB ratio + source-balanced**: NB-LR with either
  weighting; **NB ratio^0.5** (`nb_exponent=0.5`): the ratio damped to sign(r)|r|**0.5,
  alone and with source sqrt.
* **words C x4**, **chars C x4**: a per-block penalty, the word block's (or the
  characters') C four times the other's, which stays 4 (`word_scale`).
* **2+ sources**: columns seen in the training rows of one source only are left out
  (`Params(min_sources=2)`), so no cue of one source alone is learned; **3+ sources**
  likewise; **NB ratio + 2+ sources**, **NB ratio^0.5 + 2+ sources** with NB-LR.
* **stance**: the shipped recipe with stance cue tokens (quoted and reported speech,
  imperatives, condemnation; `Params(stance=True)`, `--ablations`), counted apart and
  added to the same n-gram counts as the concepts are.

`only` (`--only` of the bench) keeps just the named ablation rows, beside baseline and
shipped, when there is no time to train them all.

Printed: random-split ROC-AUC, PR-AUC and recall at the thresholds that flag 0.1%, 0.2%
and 0.5% of validation negatives, overall and per language; then leave-one-source-out:
each source left out of training in turn, the threshold fixed by the shipping rule
(0.2% of the training sources' validation negatives, each source weighted equally),
recall on its propaganda and the share of its `discusses` and `other` flagged.
`--quick` leaves out only the propaganda sources and those with 1,000+ `discusses`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import normalize as l2_normalize

from moderator.classifier.concepts import concept_matrix
from moderator.classifier.data import NEGATIVES, POSITIVE, Dataset
from moderator.classifier.hashing import count_matrix
from moderator.classifier.metrics import recall_at_fpr
from moderator.classifier.model import Model, tfidf_rows
from moderator.classifier.stance import stance_matrix
from moderator.classifier.train import (
    Params,
    fit_counts,
    source_weights,
    validation_mask,
    weighted_share_threshold,
)
from moderator.text import normalize

SHARES = (0.001, 0.002, 0.005)
LANGS = ("en", "ru", "kk")
#: score(train_rows_mask, test_rows_mask) -> (validation scores of training sources, test scores)
Scorer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def baseline_matrix(texts: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """scikit-learn's hashed counts (stateless: computed once, then sliced per fold)."""
    common = {"n_features": 1 << 20, "alternate_sign": False, "norm": None}
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), **common).transform(texts)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common).transform(texts)
    return words.tocsr(), chars.tocsr()


def baseline_scorer(blocks: tuple[sp.csr_matrix, sp.csr_matrix], y: np.ndarray,
                    val: np.ndarray) -> Scorer:
    def score(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tr = train & ~val
        tfidf = [TfidfTransformer(sublinear_tf=True).fit(b[tr]) for b in blocks]

        def features(rows: np.ndarray) -> sp.csr_matrix:
            return sp.hstack([l2_normalize(t.transform(b[rows]))
                              for t, b in zip(tfidf, blocks, strict=True)]).tocsr()

        lr = LogisticRegression(C=4, class_weight="balanced", max_iter=1000)
        lr.fit(features(tr), y[tr])
        tested = lr.decision_function(features(test)) if test.any() else np.zeros(0)
        return lr.decision_function(features(train & val)), tested
    return score


def shipped_scorer(counts: sp.csr_matrix, data: Dataset, params: Params) -> Scorer:
    def score(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fitted = fit_counts(counts, data, params, train=train)
        m = fitted.model
        margins = tfidf_rows(counts[test], m.idf, params.n_features) @ m.coef.astype(
            np.float64) + m.bias
        return fitted.validation_scores, 1.0 / (1.0 + np.exp(-(m.slope * margins + m.offset)))
    return score


def headline(y: np.ndarray, s: np.ndarray) -> dict[str, float | None]:
    if y.sum() == 0 or y.sum() == len(y):
        return {"rows": len(y), "propaganda": int(y.sum()), "roc_auc": None,
                "pr_auc": None, **{f"recall@{x:.1%}": None for x in SHARES}}
    return {"rows": len(y), "propaganda": int(y.sum()),
            "roc_auc": round(float(roc_auc_score(y, s)), 4),
            "pr_auc": round(float(average_precision_score(y, s)), 4),
            **{f"recall@{x:.1%}": round(recall_at_fpr(y.tolist(), s.tolist(), x), 4)
               for x in SHARES}}


def random_split(name: str, scores: np.ndarray, data: Dataset, val: np.ndarray
                 ) -> dict[str, dict[str, float | None]]:
    y = (np.asarray(data.labels)[val] == POSITIVE).astype(int)
    langs = np.asarray(data.langs)[val]
    out = {"all": headline(y, scores)}
    for lang in (*LANGS, "other"):
        mask = ~np.isin(langs, LANGS) if lang == "other" else langs == lang
        out[lang] = headline(y[mask], scores[mask])
    return out


def loso(name: str, scorer: Scorer, data: Dataset, val: np.ndarray, sources: list[str],
         say: Callable[[str], None]) -> dict[str, dict[str, float | int | None]]:
    labels, src = np.asarray(data.labels), np.asarray(data.sources)
    out = {}
    for source in sources:
        t0 = time.time()
        test = src == source
        train = ~test
        val_scores, test_scores = scorer(train, test)
        keep = train & val
        neg = np.isin(labels[keep], NEGATIVES)
        w = source_weights(src[keep][neg].tolist(), ["n"] * int(neg.sum()))
        t = weighted_share_threshold(val_scores[neg], w, 0.002)
        row: dict[str, float | int | None] = {"threshold": round(float(t), 4)}
        for label in (POSITIVE, *NEGATIVES):
            mask = labels[test] == label
            row[f"{label}_rows"] = int(mask.sum())
            row[f"{label}_flagged"] = round(float((test_scores[mask] >= t).mean()), 4) \
                if mask.any() else None
        out[source] = row
        say(f"  {name} without {source}: {row} ({time.time() - t0:.0f} s)")
    return out


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def print_tables(results: dict[str, dict], baseline: str = "baseline") -> None:
    print("\n## Random split (validation rows)\n")
    print("| recipe | lang | rows | prop | ROC-AUC | PR-AUC | recall@0.1% | recall@0.2% "
          "| recall@0.5% |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        for lang, h in r["random_split"].items():
            auc = "–" if h["roc_auc"] is None else f"{h['roc_auc']:.4f}"
            pr = "–" if h["pr_auc"] is None else f"{h['pr_auc']:.4f}"
            print(f"| {name} | {lang} | {h['rows']} | {h['propaganda']} | {auc} | {pr} | "
                  + " | ".join(pct(h[f"recall@{x:.1%}"]) for x in SHARES) + " |")
    base = results[baseline]["random_split"]["all"]
    print("\nratio to baseline (all languages):")
    for name, r in results.items():
        h = r["random_split"]["all"]
        print(f"  {name}: ROC-AUC {h['roc_auc'] / base['roc_auc']:.4f}, recall@0.2% "
              f"{h['recall@0.2%'] - base['recall@0.2%']:+.4f} absolute")
    if not any(r.get("loso") for r in results.values()):
        return
    print("\n## Leave one source out (threshold: 0.2% of the training sources' validation "
          "negatives, sources weighted equally)\n")
    print("| left out | recipe | propaganda caught | discusses flagged | other flagged |")
    print("| --- | --- | ---: | ---: | ---: |")
    for source in next(r["loso"] for r in results.values() if r.get("loso")):
        for name, r in results.items():
            if source not in r.get("loso", {}):
                continue
            row = r["loso"][source]
            cells = [f"{pct(row[f'{lab}_flagged'])} of {row[f'{lab}_rows']}"
                     if row[f"{lab}_rows"] else "–" for lab in (POSITIVE, *NEGATIVES)]
            print(f"| `{source}` | {name} | " + " | ".join(cells) + " |")



#: Ablation rows that are the shipped recipe with other Params on the same counts
#: (module docstring); "concepts" and "stance" add tokens, so they are built apart.
VARIANTS: dict[str, Params] = {
    "NB ratio": Params(nb_ratio=True),
    "source-balanced": Params(source_balanced=True),
    "C=16": Params(C=16.0),
    "source sqrt": Params(source_exponent=0.5),
    "near-dup": Params(near_dup=True),
    "near-dup + source sqrt": Params(near_dup=True, source_exponent=0.5),
    "NB ratio + source sqrt": Params(nb_ratio=True, source_exponent=0.5),
    "NB ratio + source-balanced": Params(nb_ratio=True, source_balanced=True),
    "NB ratio^0.5": Params(nb_ratio=True, nb_exponent=0.5),
    "NB ratio^0.5 + source sqrt": Params(nb_ratio=True, nb_exponent=0.5,
                                         source_exponent=0.5),
    "words C x4": Params(word_scale=2.0),
    "chars C x4": Params(word_scale=0.5, C=16.0),
    "2+ sources": Params(min_sources=2),
    "3+ sources": Params(min_sources=3),
    "NB ratio + 2+ sources": Params(nb_ratio=True, min_sources=2),
    "NB ratio^0.5 + 2+ sources": Params(nb_ratio=True, nb_exponent=0.5, min_sources=2),
}
ABLATIONS = ("NB ratio", "source-balanced", "C=16", "concepts", "stance",
             *(name for name in VARIANTS if name not in ("NB ratio", "source-balanced",
                                                         "C=16")))


def side_by_side(data: Dataset, *, quick: bool = False, ablations: bool = False,
                 salts: int = 0, with_loso: bool = True,
                 only: Sequence[str] | None = None,
                 say: Callable[[str], None] = lambda _msg: None) -> dict[str, dict]:
    """Train every recipe on the same split of `data` and measure each (module docstring)."""
    unknown = set(only or ()) - set(ABLATIONS)
    if unknown:
        raise ValueError(f"unknown ablations {sorted(unknown)}; known: {list(ABLATIONS)}")
    params = Params()
    val = validation_mask(data.texts, params)
    y = (np.asarray(data.labels) == POSITIVE).astype(int)
    say(f"{len(data)} rows, {int(val.sum())} validation")
    t0 = time.time()
    blocks = baseline_matrix(data.texts)
    say(f"baseline features {time.time() - t0:.0f} s")
    t0 = time.time()
    counts = count_matrix(data.texts, params.spec)
    say(f"shipped features {time.time() - t0:.0f} s")
    everything = np.ones(len(data), bool)
    scorers: dict[str, Scorer] = {"baseline": baseline_scorer(blocks, y, val),
                                  "shipped": shipped_scorer(counts, data, params)}
    chosen = set(only) if only else set(ABLATIONS) if ablations else set()
    for name in ("NB ratio", "source-balanced", "C=16"):
        if name in chosen:
            scorers[name] = shipped_scorer(counts, data, VARIANTS[name])
    if "concepts" in chosen:
        with_concepts = Params(concepts=True)
        spec = with_concepts.spec
        assert spec.concepts is not None
        extra = concept_matrix(data.texts, spec.concepts, spec.n_features, spec.width)
        scorers["concepts"] = shipped_scorer((counts + extra).tocsr(), data, with_concepts)
    if "stance" in chosen:
        with_stance = Params(stance=True)
        spec = with_stance.spec
        assert spec.stance is not None
        t0 = time.time()
        extra = stance_matrix(data.texts, spec.stance, spec.n_features, spec.width)
        say(f"stance tokens {time.time() - t0:.0f} s")
        scorers["stance"] = shipped_scorer((counts + extra).tocsr(), data, with_stance)
    for name in ABLATIONS:
        if name in chosen and name in VARIANTS and name not in scorers:
            scorers[name] = shipped_scorer(counts, data, VARIANTS[name])
    results: dict[str, dict] = {}
    for name, scorer in scorers.items():
        t0 = time.time()
        scores, _ = scorer(everything, np.zeros(len(data), bool))
        results[name] = {"random_split": random_split(name, scores, data, val)}
        h = results[name]["random_split"]["all"]
        say(f"{name}: fitted in {time.time() - t0:.0f} s; random split ROC-AUC {h['roc_auc']}, "
            f"PR-AUC {h['pr_auc']}, " + ", ".join(f"recall@{x:.1%} {h[f'recall@{x:.1%}']}"
                                                  for x in SHARES))
        if name == "shipped":
            fitted = fit_counts(counts, data, params)
            model = Model(fitted.model, {"version": "bench", "thresholds": fitted.thresholds})
            texts = [t for t, v in zip(data.texts, val, strict=True) if v]
            served = np.asarray(model.score_normalized([normalize(t) for t in texts]))
            results["served"] = {"random_split": random_split("served", served, data, val)}
    for k in range(salts):
        import moderator.classifier.hashing as hashing

        kept = hashing._LENGTH_SALT
        hashing._LENGTH_SALT = np.uint64(0x9E3779B97F4A7C15 * (k + 3) % (1 << 64))
        try:
            salted = fit_counts(count_matrix(data.texts, params.spec), data, params)
        finally:
            hashing._LENGTH_SALT = kept
        results[f"shipped, salt {k + 1}"] = {
            "random_split": random_split("salted", salted.validation_scores, data, val)}
        say(f"salt {k + 1} done")
    if with_loso:
        labels = np.asarray(data.labels)
        sources = sorted(set(data.sources))
        if quick:
            sources = [s for s in sources if ((np.asarray(data.sources) == s)
                                              & (labels == POSITIVE)).any()
                       or ((np.asarray(data.sources) == s) & (labels == "discusses")).sum()
                       >= 1000]
        for name, scorer in scorers.items():
            results[name]["loso"] = loso(name, scorer, data, val, sources, say)
    return results
