"""Leave-language-out: does what the model learns from English calls carry to ru and kk?

    .venv/bin/python bench/bench_transfer.py [--data ../shared/data] [--json OUT]

Two fits in one run, on the shared data with every Russian and Kazakh row removed, the
same hash split: the plain recipe (as shipped) and the same recipe with shared concept
tokens (`Params(concepts=True)`, moderator/classifier/concepts.py). Both then score the
team-written evaluation set (tests/fixtures/incitement_eval/{en,ru,kk}.tsv: calls to
violence, recruitment and glorification, and everyday comments), which neither saw:

* ROC-AUC of calls against everyday comments, per language;
* the share of calls and of everyday comments at or above each model's own review
  threshold (0.2% of its validation negatives, sources weighted equally), and the
  median score of each, to show how far below the threshold they sit.

Also the random-split headline of both fits (validation rows of the same reduced data:
ROC-AUC, PR-AUC, recall at 0.2% of validation negatives), so the cost in English shows,
and, for reference, the promoted model (trained with the ru/kk rows) on the set.
N-grams are counted once; the concept tokens are counted apart and added.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderator.classifier.concepts import concept_matrix  # noqa: E402
from moderator.classifier.data import POSITIVE, load_csvs  # noqa: E402
from moderator.classifier.hashing import count_matrix  # noqa: E402
from moderator.classifier.metrics import recall_at_fpr  # noqa: E402
from moderator.classifier.model import Model, load_model  # noqa: E402
from moderator.classifier.registry import resolve_current  # noqa: E402
from moderator.classifier.train import Fitted, Params, fit_counts, validation_mask  # noqa: E402

EVAL = ROOT / "tests" / "fixtures" / "incitement_eval"
LANGS = ("en", "ru", "kk")
LEFT_OUT = ("ru", "kk")


def eval_set(lang: str) -> tuple[list[str], np.ndarray]:
    """Texts of one language's file and 1 for a call, 0 for an everyday comment."""
    texts, calls = [], []
    for line in (EVAL / f"{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, _, _, text = line.split("\t")
            texts.append(text)
            calls.append(int(label != "benign"))
    return texts, np.array(calls)


def on_eval(model: Model) -> dict[str, dict[str, float]]:
    review = model.thresholds["review"]
    out = {}
    for lang in LANGS:
        texts, calls = eval_set(lang)
        s = np.asarray(model.score(texts))
        out[lang] = {"roc_auc": float(roc_auc_score(calls, s)),
                     "calls_flagged": float((s[calls == 1] >= review).mean()),
                     "everyday_flagged": float((s[calls == 0] >= review).mean()),
                     "calls_median": float(np.median(s[calls == 1])),
                     "everyday_median": float(np.median(s[calls == 0])),
                     "calls": int(calls.sum()), "everyday": int((calls == 0).sum())}
    return out


def random_split(fitted: Fitted, y: np.ndarray) -> dict[str, float]:
    s = fitted.validation_scores
    return {"roc_auc": float(roc_auc_score(y, s)), "pr_auc": float(average_precision_score(y, s)),
            "recall@0.2%": recall_at_fpr(y.tolist(), s.tolist(), 0.002),
            "review": fitted.thresholds["review"]}


def ratio(a: float, b: float) -> str:
    return "–" if a == 0 else f"{b / a:.2f}"


def print_table(results: dict[str, dict]) -> None:
    plain, conc = results["plain"], results["concepts"]
    print("\n## Leave ru and kk out: trained without any Russian or Kazakh row\n")
    print("| figure | plain | + concepts | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (("roc_auc", "random split ROC-AUC"), ("pr_auc", "random split PR-AUC"),
                       ("recall@0.2%", "random split recall @0.2% negatives")):
        a, b = plain["random_split"][key], conc["random_split"][key]
        print(f"| {label} | {a:.4f} | {b:.4f} | {ratio(a, b)} |")
    a, b = plain["random_split"]["review"], conc["random_split"]["review"]
    print(f"| review threshold | {a:.4f} | {b:.4f} | |")
    for lang in LANGS:
        pe, ce = plain["eval"][lang], conc["eval"][lang]
        n = f"{pe['calls']} calls / {pe['everyday']} everyday"
        print(f"| {lang} eval ROC-AUC ({n}) | {pe['roc_auc']:.3f} | {ce['roc_auc']:.3f} "
              f"| {ratio(pe['roc_auc'], ce['roc_auc'])} |")
        for key, label in (("calls_flagged", "calls flagged @review"),
                           ("everyday_flagged", "everyday flagged @review")):
            print(f"| {lang} {label} | {pe[key]:.1%} | {ce[key]:.1%} "
                  f"| {ratio(pe[key], ce[key])} |")
        for key, label in (("calls_median", "calls' median score"),
                           ("everyday_median", "everyday median score")):
            print(f"| {lang} {label} | {pe[key]:.4f} | {ce[key]:.4f} "
                  f"| {ratio(pe[key], ce[key])} |")
    if "promoted" in results:
        print(f"\nFor reference, the promoted model {results['promoted']['version']} "
              "(trained with the ru/kk rows, no concepts) on the same set:")
        for lang, e in results["promoted"]["eval"].items():
            print(f"  {lang}: ROC-AUC {e['roc_auc']:.3f}, calls flagged {e['calls_flagged']:.1%},"
                  f" everyday flagged {e['everyday_flagged']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    everything = load_csvs(sorted(args.data.glob("*.csv")))
    data = everything.subset([lang not in LEFT_OUT for lang in everything.langs])
    plain, with_concepts = Params(), Params(concepts=True)
    val = validation_mask(data.texts, plain)
    y = (np.asarray(data.labels)[val] == POSITIVE).astype(int)
    say(f"{len(data)} of {len(everything)} rows kept (ru and kk left out), {int(val.sum())} "
        "validation")
    t0 = time.time()
    counts = count_matrix(data.texts, plain.spec)
    say(f"n-grams counted in {time.time() - t0:.0f} s")
    spec = with_concepts.spec
    assert spec.concepts is not None
    t0 = time.time()
    extra = concept_matrix(data.texts, spec.concepts, spec.n_features, spec.width)
    say(f"concept tokens counted in {time.time() - t0:.1f} s "
        f"({int((extra.getnnz(axis=1) > 0).sum())} rows hold one)")
    results: dict[str, dict] = {}
    for name, params, X in (("plain", plain, counts), ("concepts", with_concepts,
                                                       counts + extra)):
        t0 = time.time()
        fitted = fit_counts(X.tocsr(), data, params)
        say(f"{name}: fitted in {time.time() - t0:.0f} s")
        model = Model(fitted.model, {"version": name, "thresholds": fitted.thresholds})
        results[name] = {"random_split": random_split(fitted, y), "eval": on_eval(model)}
    try:
        promoted = load_model(resolve_current(ROOT / "models"))
        results["promoted"] = {"version": promoted.version, "eval": on_eval(promoted)}
    except Exception as exc:  # the reference line is optional
        say(f"promoted model not scored: {type(exc).__name__}")
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
