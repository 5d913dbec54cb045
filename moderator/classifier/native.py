"""Which n-gram counter runs: the compiled one (`_ngrams.c`) when it was built, else numpy.

setup.py builds the extension where a C compiler is found and installs without it
where none is; `MODERATOR_PURE_PYTHON=1` keeps the numpy reference even when it was
built (to compare the two, or to rule the compiled code out when a score looks wrong).
Both give the same counts: tests/classifier/test_native.py checks every shared-data row.
"""

from __future__ import annotations

import functools
import os
from types import ModuleType

PURE_PYTHON_ENV = "MODERATOR_PURE_PYTHON"
#: The compiled counter keeps columns in 32 bits: two blocks of at most 2**30.
MAX_FEATURES = 1 << 30
#: ... and character n-grams of at most this many characters (NgramSpec.from_dict's bound).
MAX_CHAR_N = 8


def handles(n_features: int, char_ngrams: tuple[int, int]) -> bool:
    """Whether the compiled counter takes this spec (else the reference counts it)."""
    return n_features <= MAX_FEATURES and char_ngrams[1] <= MAX_CHAR_N


def pure_python_forced() -> bool:
    return os.environ.get(PURE_PYTHON_ENV, "").strip().lower() not in ("", "0", "false", "no")


@functools.cache
def compiled() -> ModuleType | None:
    """The compiled module if it was built, whatever the environment says (looked up
    once: a failed import searches the path again each time)."""
    try:
        from moderator.classifier import _ngrams  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _ngrams


def counter() -> ModuleType | None:
    """The compiled counter to use now, or None for the numpy reference."""
    return None if pure_python_forced() else compiled()


def describe() -> str:
    """Which counter `count_rows` uses now, for `make test` and CI logs."""
    module = compiled()
    if module is None:
        return "n-gram counter: numpy reference (the compiled one was not built)"
    if pure_python_forced():
        return f"n-gram counter: numpy reference ({PURE_PYTHON_ENV} is set)"
    return f"n-gram counter: compiled ({module.__file__})"
