"""The compiled pre-checks (`_textscan.c`) answer what the numpy reference answers.

Each question on generated texts of awkward characters (marks, astral letters, lone
surrogates, Cyrillic signs that are no letters, leetspeak, spaced letters), then the
whole normaliser compiled against `MODERATOR_PURE_PYTHON=1` on shared-data rows: the
same normalised text, offsets and `joined` flag.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator import _chars, _scan, gates
from moderator.classifier.native import PURE_PYTHON_ENV
from moderator.text import normalize_uncached
from tests.conftest import shared_texts

HERE = Path(__file__).resolve().parent
COMPILED = _scan.compiled()
needs_compiled = pytest.mark.skipif(
    COMPILED is None, reason="_textscan is not built (no C compiler at install)")
PIECES = ["j", "i", "h", "a", "d", " ", ".", "-", "_", "·", "*", "/", "~", "  ", " . ", "с",
          "м", "е", "р", "т", "ь", "і", "ә", "é", "\u0301", "1", "0", "3", "@", "$", "!", "|",
          "€", "word", "слово", "\u00a0", "\t", "\n", "ї", "ñ", "٣", "𝐣", "İ", "҂", "\u0483",
          "ο", "а", "р", "\u200b", "\x07", "\ud800", "😀", "aaa", "ааа", "kkk", "ß", "ǅ",
          "\u0345", "ﬁ", "Ⅻ", "x", "ʝ", "\u00ad"]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=50).map("".join)


def c_compiler() -> str | None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) or shutil.which("gcc")


def test_built_wherever_a_compiler_is() -> None:
    if c_compiler() is None:
        pytest.skip("no C compiler on this machine: the numpy reference scans")
    assert COMPILED is not None, "a C compiler is here but _textscan was not built"


def test_pure_python_forces_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    assert isinstance(_scan.scan("text"), _scan.ArrayScan)


def _answers(scan: _scan.Scan) -> tuple[object, ...]:
    masks = (_chars.FOLD, _chars.INVISIBLE, _chars.LETTER | _chars.MARK)
    return (scan.bits(), *(scan.positions(m) for m in masks), scan.may_join(),
            scan.fold_spans(), scan.has_triple())


def _same_answers(text: str) -> None:
    assert COMPILED is not None
    for reading in (text, text.lower(), text.casefold(), text.translate(_chars.LETTER_FOLD)):
        want = _answers(_scan.ArrayScan(reading))
        assert _answers(_scan.CompiledScan(reading, COMPILED)) == want, repr(reading)
        with gates.ungated():
            assert _scan.CompiledScan(reading, COMPILED).may_join() is None


@needs_compiled
@settings(max_examples=1500, derandomize=True)
@given(TEXTS)
def test_compiled_scan_answers_as_the_reference(text: str) -> None:
    _same_answers(text)


@needs_compiled
@pytest.mark.parametrize("text", ["", "a", "ab", "a.b.c", "j i h a d", "҂a", "a҂", "҂҂a1",
                                  "1a", "a1", "!!!", "aaa", "😀😀😀", "a\u0301 b c",
                                  "kill ki11 k1ll", "jіhаd", "x" * 5000, "a b" * 800])
def test_compiled_scan_on_edge_cases(text: str) -> None:
    _same_answers(text)


def _normalized_both_ways(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = normalize_uncached(text)
    with monkeypatch.context() as m:
        m.setenv(PURE_PYTHON_ENV, "1")
        reference = normalize_uncached(text)
    assert compiled == reference


@needs_compiled
@settings(max_examples=800, derandomize=True)
@given(TEXTS)
def test_normalizer_gives_the_same_text_either_way(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _normalized_both_ways(text, monkeypatch)


@needs_compiled
def test_normalizer_is_the_same_either_way_on_shared_data_rows(
        shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = 0
    for text in shared_texts(shared_data, every=25):
        _normalized_both_ways(text, monkeypatch)
        count += 1
    assert count > 5_000


@needs_compiled
@pytest.mark.slow
def test_normalizer_is_the_same_either_way_on_every_shared_data_row(
        shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = 0
    for text in shared_texts(shared_data, every=1):
        _normalized_both_ways(text, monkeypatch)
        _same_answers(text[:3000])
        count += 1
    assert count > 100_000


def test_an_address_sanitizer_build_answers_the_same(tmp_path: Path) -> None:
    """Built with -fsanitize=address (and undefined behaviour checks) and loaded into a
    Python whose allocations all go through malloc, so ASan sees every buffer."""
    cc = c_compiler()
    if cc is None:
        pytest.skip("no C compiler: nothing compiled to sanitise")
    runtime = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    if not runtime or not os.path.isabs(runtime) or not os.path.exists(runtime):
        pytest.skip(f"{cc} has no AddressSanitizer runtime (libasan)")
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").is_file():
        pytest.skip(f"no Python.h in {include}")
    so = tmp_path / ("_textscan" + sysconfig.get_config_var("EXT_SUFFIX"))
    build = subprocess.run(
        [cc, "-shared", "-fPIC", "-g", "-O1", "-fno-omit-frame-pointer",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", f"-I{include}",
         str(HERE.parent / "moderator" / "_textscan.c"), "-o", str(so)],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    data = Path(os.environ.get("MODERATOR_SHARED_DATA", HERE.parent.parent / "shared" / "data"))
    env = {**os.environ, "LD_PRELOAD": runtime, "PYTHONMALLOC": "malloc",
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=86"}
    done = subprocess.run([sys.executable, str(HERE / "scan_check.py"), "check", str(so),
                           *map(str, sorted(data.glob("*.csv")))],
                          capture_output=True, text=True, env=env, timeout=900,
                          cwd=HERE.parent)
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == "ok"
    assert "runtime error" not in done.stderr  # UBSan's reports
