"""Artifact round trip, refusal of tampered, pickled or malformed artifacts, determinism, spans."""

from __future__ import annotations

import itertools
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize as l2_normalize

from moderator.classifier import load_model
from moderator.classifier.hashing import count_matrix
from moderator.classifier.model import ARTIFACT, CARD, sha256_bytes, tfidf_rows
from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params
from moderator.errors import ModelError

TEXTS = [
    "The brothers of the Khilafah will crush the kuffar, may Allah accept our martyrs",
    "Police say the terrorist attack in Boston killed three; the city mourns",
    "My flight was delayed again, great service as usual",
    "",
]


def copy_model(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "propaganda" / "copy"
    shutil.copytree(src, dst)
    return dst


def rewrite_card(path: Path, **changes: object) -> None:
    card = json.loads((path / CARD).read_text(encoding="utf-8"))
    card.update(changes)
    card["artifact"]["sha256"] = sha256_bytes(path / card["artifact"]["file"])
    (path / CARD).write_text(json.dumps(card), encoding="utf-8")


def test_round_trip(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    assert model.version == "propaganda/tiny"
    assert 0 < model.thresholds["review"] <= model.thresholds["reject"] < 1
    scores = model.score(TEXTS)
    assert len(scores) == len(TEXTS) and all(0.0 <= s <= 1.0 for s in scores)
    # The per-comment path computes what the batch path computes.
    assert [model.score([t])[0] for t in TEXTS] == pytest.approx(scores, rel=1e-9)
    assert model.score([]) == []


def test_tfidf_matches_scikit_learn_per_block(tiny_params: Params) -> None:
    """Sublinear TF-IDF with smooth IDF and one L2 norm per block, as a FeatureUnion of two
    TfidfTransformers computes it: the recipe is the plain baseline, not an approximation."""
    spec = tiny_params.spec
    counts = count_matrix(TEXTS * 3, spec)
    ours = tfidf_rows(counts, _idf(counts), spec.n_features).toarray()
    n = spec.n_features
    blocks = [TfidfTransformer(sublinear_tf=True).fit_transform(counts[:, :n]),
              TfidfTransformer(sublinear_tf=True).fit_transform(counts[:, n:])]
    expected = sp.hstack([l2_normalize(b) for b in blocks]).toarray()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    from moderator.classifier.train import idf_of

    return idf_of(counts)


def test_card_describes_data_format_and_versions(tiny_model_dir: Path,
                                                 tiny_params: Params) -> None:
    card = json.loads((tiny_model_dir / CARD).read_text(encoding="utf-8"))
    assert card["format"] == "moderator-linear-ngrams-v1"
    assert card["artifact"]["sha256"] == sha256_bytes(tiny_model_dir / ARTIFACT)
    assert {"python", "sklearn", "numpy"} <= set(card["versions"])
    files = card["data"]["files"]
    assert all(len(f["sha256"]) == 64 and f["rows"] > 0 for f in files)
    assert set(card["data"]["licences"]) == {f["name"] for f in files}
    assert card["hyperparameters"]["n_features"] == tiny_params.n_features
    assert card["features"]["n_features"] == tiny_params.n_features
    assert "each source weighted equally" in card["threshold_rule"]["review"]


def test_tampered_artifact_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    with (path / ARTIFACT).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="sha256"):
        load_model(path)


class _Payload:
    """Unpickling this writes a marker file: proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path(self.marker).touch, ())  # type: ignore[return-value]


def test_a_pickle_with_a_matching_sha256_never_runs(tiny_model_dir: Path,
                                                    tmp_path: Path) -> None:
    """The attack of issue #11: replace the artifact and fix up the card's sha256."""
    path = copy_model(tiny_model_dir, tmp_path)
    marker = tmp_path / "pwned"
    (path / ARTIFACT).write_bytes(pickle.dumps(_Payload(marker)))
    rewrite_card(path)
    with pytest.raises(ModelError, match="not a model array file"):
        load_model(path)
    assert not marker.exists()


def test_an_npz_holding_an_object_array_is_refused(tiny_model_dir: Path,
                                                   tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    marker = tmp_path / "pwned"
    np.savez(path / "model.npz", idf=np.array([_Payload(marker)], dtype=object),
             coef=np.zeros(3), scalars=np.zeros(3))
    rewrite_card(path)
    with pytest.raises(ModelError):
        load_model(path)
    assert not marker.exists()


def test_a_legacy_pickled_model_is_refused_with_a_reason(tiny_model_dir: Path,
                                                         tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    rewrite_card(path, format=None)
    with pytest.raises(ModelError, match="pickles"):
        load_model(path)


@pytest.mark.parametrize("damage", ["shape", "nan"])
def test_malformed_arrays_are_refused(tiny_model_dir: Path, tmp_path: Path,
                                      damage: str) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    with np.load(path / ARTIFACT) as npz:
        arrays = {k: npz[k] for k in npz.files}
    if damage == "shape":
        arrays["coef"] = arrays["coef"][:-1]
    else:
        arrays["coef"][7] = np.nan
    np.savez_compressed(path / ARTIFACT, **arrays)
    rewrite_card(path)
    with pytest.raises(ModelError, match="shapes" if damage == "shape" else "NaN"):
        load_model(path)


def test_missing_card_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    (path / CARD).unlink()
    with pytest.raises(ModelError, match="card"):
        load_model(path)


def test_training_is_deterministic(sample_csvs: list[Path], tiny_model_dir: Path,
                                   tiny_params: Params, tmp_path: Path) -> None:
    again = tmp_path / "propaganda" / "tiny"
    train_and_save(sample_csvs, again, tiny_params)
    assert sha256_bytes(again / ARTIFACT) == sha256_bytes(tiny_model_dir / ARTIFACT)
    assert (again / CARD).read_text(encoding="utf-8") == \
        (tiny_model_dir / CARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [
    TEXTS[0],
    "ＴＨＥ　ＫＵＦＦＡＲ will fall. RT @someone https://t.co/x #Khilafah",
    "Cafe\u0301 talk: brothers, the Mujahideen ﬁght for the ummah &amp; the dawlah",
    "Не верьте боевикам: это пропаганда, а не ислам",
])
def test_explanation_spans_index_the_original_text(tiny_model_dir: Path, text: str) -> None:
    model = load_model(tiny_model_dir)
    contributions = model.explain(text, top_k=5)
    assert len(contributions) <= 5
    for c in contributions:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.term
        assert c.weight > 0
    weights = [c.weight for c in contributions]
    assert weights == sorted(weights, reverse=True)
    spans = sorted((c.start, c.end) for c in contributions)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_explain_empty_and_wordless_text(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    assert model.explain("") == []
    assert model.explain("🙂 !!! ...") == []


def _sample_texts(csvs: list[Path], n: int = 600) -> list[str]:
    from moderator.classifier.data import load_csvs

    return load_csvs(csvs).texts[:n]


def test_scores_are_scikit_learns_on_the_same_weights(sample_csvs: list[Path],
                                                      tiny_params: Params) -> None:
    """The numpy-only scoring path against a scikit-learn Pipeline that computes the
    recipe the way scikit-learn does (TF-IDF matrix, LogisticRegression), with the
    weights a fitted model stores: margins and probabilities within 1e-6."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from moderator.classifier.data import load_csvs
    from moderator.classifier.train import fit

    data = load_csvs(sample_csvs)
    fitted = fit(data, tiny_params).model
    lr = LogisticRegression()
    lr.classes_ = np.array([0, 1])
    lr.coef_ = fitted.coef.astype(np.float64).reshape(1, -1)
    lr.intercept_ = np.array([fitted.bias])
    pipeline = make_pipeline(FunctionTransformer(fitted.tfidf), lr)
    texts = [*data.texts[:800], "", "   ", "🙂", "x"]
    np.testing.assert_allclose(fitted.margins(texts), pipeline.decision_function(texts),
                               rtol=0, atol=1e-6)
    plain = type(fitted)(fitted.spec, fitted.idf, fitted.coef, fitted.bias)
    np.testing.assert_allclose(plain.probabilities(texts), pipeline.predict_proba(texts)[:, 1],
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("pure", [False, True])
def test_shipped_model_scores_as_its_scipy_matrix_does(sample_csvs: list[Path], pure: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The promoted model, batch and one at a time, compiled and pure Python: the same
    scores as the sparse-matrix product the training code uses, within 1e-9."""
    from moderator.classifier import resolve_current
    from moderator.classifier.native import PURE_PYTHON_ENV

    if pure:
        monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    model = load_model(resolve_current(Path(__file__).resolve().parents[2] / "models"))
    linear = model.linear
    texts = _sample_texts(sample_csvs) + TEXTS
    expected = linear.tfidf(texts) @ linear.coef.astype(np.float64) + linear.bias
    np.testing.assert_allclose(linear.margins(texts), expected, rtol=0, atol=1e-9)
    singles = [model.score([t])[0] for t in texts[:100]]
    np.testing.assert_allclose(singles, model.score(texts[:100]), rtol=0, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.just(""), st.just("   "), st.just("ab"),
                          st.text(alphabet="abc xyz.", max_size=30)), max_size=10),
       st.integers(0, 2**32 - 1))
def test_margins_are_the_sparse_product_with_empty_rows_anywhere(texts: list[str],
                                                                 seed: int) -> None:
    """Rows with no words, no characters or nothing at all, first, between or last:
    each block's sum stays its own."""
    from moderator.classifier.hashing import NgramSpec
    from moderator.classifier.model import LinearNgramModel

    spec = NgramSpec(1 << 6)
    rng = np.random.default_rng(seed)
    linear = LinearNgramModel(spec, rng.uniform(1, 5, spec.width).astype(np.float32),
                              rng.normal(size=spec.width).astype(np.float32), 0.25)
    expected = linear.tfidf(texts) @ linear.coef.astype(np.float64) + linear.bias
    np.testing.assert_allclose(linear.margins(texts), expected, rtol=0, atol=1e-9)
    singles = [linear.margins([t])[0] for t in texts]
    np.testing.assert_allclose(singles, expected, rtol=0, atol=1e-9)


def _unit_one_by_one(words: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The rule `_units` applies to all occurrences at once, written for one occurrence."""
    starts = [a for a, _ in words]
    i = max(max((k for k, a in enumerate(starts) if a <= start), default=-1), 0)
    j = max(max((k for k, a in enumerate(starts) if a <= max(end - 1, start)), default=-1), i)
    first, last = words[i], words[j]
    if first[1] <= start and i + 1 < len(words) and words[i + 1][0] < end:
        first = words[i + 1]
    return first[0], max(last[1], first[1])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab -'\u0301я1", min_size=1, max_size=40), st.data())
def test_units_match_the_rule_for_each_occurrence(text: str, data: st.DataObject) -> None:
    from moderator.classifier.model import _units, _words

    words = [(m.start(), m.end()) for m in _words(text)]
    if not words:
        return
    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(1, 6)),
                               min_size=1, max_size=20))
    starts = np.array([s for s, _ in spans])
    ends = np.minimum(starts + np.array([n for _, n in spans]), len(text))
    got_starts, got_ends = _units(words, starts, ends)
    expected = [_unit_one_by_one(words, int(s), int(e)) for s, e in zip(starts, ends,
                                                                        strict=True)]
    assert list(zip(got_starts.tolist(), got_ends.tolist(), strict=True)) == expected
