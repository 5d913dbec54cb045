"""Builds the optional compiled n-gram counter and the normaliser's compiled pre-checks;
everything else is in pyproject.toml.

`optional=True`: where no C compiler is found the package still installs, and
`moderator.classifier.hashing` and `moderator._scan` use their numpy references
(docs/performance.md).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "moderator.classifier._ngrams",
            sources=["moderator/classifier/_ngrams.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra"],
            optional=True,
        ),
        Extension(
            "moderator._textscan",
            sources=["moderator/_textscan.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra"],
            optional=True,
        ),
    ]
)
