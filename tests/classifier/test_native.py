"""The compiled n-gram counter gives the numpy reference's counts, always.

Every shared-data row, generated texts of awkward characters for several n-gram specs,
an atheris run with a fixed budget, and a build with AddressSanitizer. The reference
itself is held to scikit-learn's analysers in test_hashing.py.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.classifier import hashing, native
from moderator.classifier.data import load_csvs
from moderator.classifier.hashing import NgramSpec, compiled_rows, count_rows, reference_rows

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import ngrams_check  # noqa: E402

COMPILED = native.compiled()
needs_compiled = pytest.mark.skipif(
    COMPILED is None, reason="the compiled counter is not built (no C compiler at install)")


def c_compiler() -> str | None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) or shutil.which("gcc")


def same(a: hashing.CountRows, b: hashing.CountRows) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("indptr", "indices", "data"))


def test_built_wherever_a_compiler_is() -> None:
    """`make install-test` builds the extension when a C compiler is found; a missing
    build there means setup.py or the Makefile broke, not a slow fallback to accept."""
    if c_compiler() is None:
        pytest.skip("no C compiler on this machine: the numpy reference is the counter")
    assert COMPILED is not None, "a C compiler is here but _ngrams was not built"
    if not native.pure_python_forced():
        assert native.counter() is COMPILED


@needs_compiled
def test_every_shared_data_row_counts_the_same(shared_data: Path) -> None:
    data = load_csvs(sorted(shared_data.glob("*.csv")))
    spec = NgramSpec()
    for i in range(0, len(data), 20_000):
        texts = data.texts[i:i + 20_000]
        ref, got = reference_rows(texts, spec), compiled_rows(texts, spec, COMPILED)
        assert same(ref, got), f"rows {i}..{i + len(texts)} differ"


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.text(alphabet=st.sampled_from(ngrams_check.ALPHABET), max_size=60),
    st.text(max_size=40)), max_size=8))
def test_awkward_texts_count_the_same_for_every_spec(texts: list[str]) -> None:
    ngrams_check.compare(texts, COMPILED)


@needs_compiled
def test_long_and_empty_texts_count_the_same() -> None:
    ngrams_check.compare(ngrams_check.generated(random.Random(3), 60), COMPILED)
    ngrams_check.compare([], COMPILED)


@needs_compiled
def test_the_length_salt_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench_quality re-salts the hash to measure collisions; both counters follow it."""
    texts = ["Join the fight, brothers", "the city council met on tuesday"]
    spec = NgramSpec(1 << 12)
    before = compiled_rows(texts, spec, COMPILED)
    monkeypatch.setattr(hashing, "_LENGTH_SALT", np.uint64(0x9E3779B97F4A7C15 * 5 % (1 << 64)))
    after = compiled_rows(texts, spec, COMPILED)
    assert same(after, reference_rows(texts, spec))
    assert not np.array_equal(before.indices, after.indices)


@needs_compiled
def test_concept_tokens_are_added_as_the_reference_adds_them() -> None:
    from moderator.classifier.concepts import ConceptTable

    table = ConceptTable({"violence": (["kill"], []), "targets": (["police"], ["policem"])},
                         True, {})
    spec = NgramSpec(1 << 12, concepts=table)
    texts = ["Kill the police now", "nothing here", "", "policemen, kill kill"]
    assert same(compiled_rows(texts, spec, COMPILED), reference_rows(texts, spec))


@needs_compiled
def test_pure_python_forces_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native.PURE_PYTHON_ENV, "1")
    assert native.counter() is None
    monkeypatch.setenv(native.PURE_PYTHON_ENV, "0")
    assert native.counter() is COMPILED
    monkeypatch.delenv(native.PURE_PYTHON_ENV)
    assert native.counter() is COMPILED


def test_count_rows_uses_whichever_counter_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    class Counting:
        def count_rows(self, texts: list[str], *args: object) -> object:
            calls.append(len(texts))
            return (np.zeros(len(texts) + 1, np.int64).tobytes(), b"", b"")

    monkeypatch.setattr(native, "counter", lambda: Counting())
    rows = count_rows(["a b", "c"], NgramSpec(1 << 8))
    assert calls == [2] and len(rows) == 2 and not len(rows.indices)
    monkeypatch.setattr(native, "counter", lambda: None)
    assert len(count_rows(["a b", "c"], NgramSpec(1 << 8)).indices) > 0


@needs_compiled
@pytest.mark.parametrize(("args", "error"), [
    (("no list", 16, 1, 2, 2, 5), TypeError),
    ((["ok", b"bytes"], 16, 1, 2, 2, 5), TypeError),
    ((["ok"], 12, 1, 2, 2, 5), ValueError),   # not a power of two
    ((["ok"], 16, 0, 2, 2, 5), ValueError),
    ((["ok"], 16, 1, 3, 2, 5), ValueError),
    ((["ok"], 16, 1, 2, 2, 9), ValueError),
    ((["ok"], 16, 1, 2, 5, 2), ValueError),
])
def test_bad_calls_raise(args: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        COMPILED.count_rows(*args, (1, 3, 5, 7, 9), hashing._CLASS_BYTES, hashing.char_class)


@needs_compiled
def test_a_failing_class_lookup_propagates() -> None:
    def broken(code: int) -> int:
        raise LookupError(code)

    with pytest.raises(LookupError):
        COMPILED.count_rows(["ok 🙂"], 16, 1, 2, 2, 5, (1, 3, 5, 7, 9), hashing._CLASS_BYTES,
                            broken)
    with pytest.raises(ValueError):
        COMPILED.count_rows(["ok"], 16, 1, 2, 2, 5, (1, 3, 5, 7, 9), b"short", int)


@needs_compiled
def test_fuzz_with_a_fixed_budget() -> None:
    pytest.importorskip("atheris", reason="atheris is in the test extra")
    done = subprocess.run([sys.executable, str(HERE / "ngrams_check.py"), "fuzz", "3000"],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 3000 runs" in done.stderr


def asan_runtime(cc: str) -> str | None:
    found = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True,
                           text=True).stdout.strip()
    return found if found and os.path.isabs(found) and os.path.exists(found) else None


def test_an_address_sanitizer_build_counts_the_same(tmp_path: Path) -> None:
    """Built with -fsanitize=address (and undefined behaviour checks) and loaded into a
    Python whose allocations all go through malloc, so ASan sees every buffer."""
    cc = c_compiler()
    if cc is None:
        pytest.skip("no C compiler: nothing compiled to sanitise")
    runtime = asan_runtime(cc)
    if runtime is None:
        pytest.skip(f"{cc} has no AddressSanitizer runtime (libasan)")
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").is_file():
        pytest.skip(f"no Python.h in {include}")
    so = tmp_path / ("_ngrams" + sysconfig.get_config_var("EXT_SUFFIX"))
    build = subprocess.run(
        [cc, "-shared", "-fPIC", "-g", "-O1", "-fno-omit-frame-pointer",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", f"-I{include}",
         str(REPO / "moderator" / "classifier" / "_ngrams.c"), "-o", str(so)],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    csvs = [str(p) for p in sorted(Path(os.environ.get(
        "MODERATOR_SHARED_DATA", REPO.parent / "shared" / "data")).glob("*.csv"))]
    env = {**os.environ, "LD_PRELOAD": runtime, "PYTHONMALLOC": "malloc",
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=86"}
    done = subprocess.run([sys.executable, str(HERE / "ngrams_check.py"), "check", str(so),
                           *csvs], capture_output=True, text=True, env=env, timeout=900,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == "ok"
    assert "runtime error" not in done.stderr  # UBSan's reports


def test_a_spec_the_compiled_counter_does_not_take_is_counted_by_the_reference() -> None:
    spec = NgramSpec(1 << 8, (1, 2), (2, 10))  # longer character n-grams than C keeps
    texts = ["a longer word: internationalisation", ""]
    assert not native.handles(spec.n_features, spec.char_ngrams)
    assert same(count_rows(texts, spec), reference_rows(texts, spec))


def _spans_same(text: str, spec: NgramSpec) -> None:
    low = hashing.lowercase(text)
    want = hashing._occurrences(low, spec, None, True)[:3]
    got = hashing.compiled_spans(low, spec, COMPILED)
    for w, g in zip(want, got, strict=True):
        assert g.dtype == np.int64
        assert np.array_equal(w, g), repr(text[:60])


SPAN_SPECS = [NgramSpec(), NgramSpec(1 << 10, (1, 1), (3, 3)), NgramSpec(1 << 8, (2, 2), (1, 4)),
              NgramSpec(1 << 12, (1, 2), (4, 8))]


@needs_compiled
@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", " ", "  ", "\n", "é", "😀", "𝐣", "\ud800", "-",
                                 "_", "1", "İ", "ß", "\u0301", "\u00a0", "word", "x y"]),
                max_size=40).map("".join))
def test_compiled_spans_are_the_reference_occurrences(text: str) -> None:
    """The explanation's occurrences (columns and spans, in order) by the compiled counter."""
    for spec in SPAN_SPECS:
        _spans_same(text, spec)


@needs_compiled
def test_compiled_spans_on_long_and_empty_texts() -> None:
    for text in [*ngrams_check.generated(random.Random(5), 30), "", " ", "a", "x" * 5000]:
        for spec in SPAN_SPECS:
            _spans_same(text, spec)


@needs_compiled
def test_compiled_spans_on_shared_data_rows(shared_data: Path) -> None:
    data = load_csvs(sorted(shared_data.glob("*.csv")))
    for text in data.texts[::5]:
        _spans_same(text[:3000], NgramSpec())
