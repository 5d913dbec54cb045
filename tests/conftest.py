"""Fixtures shared by the whole suite."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from moderator.classifier.train import Params

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = ("fifthtribe_isis_tweets", "stormfront_hate", "isextreme_scraped_tweets",
                "crisislex_tweets", "sfu_ctc_comments")
PER_LABEL = 150
#: Small hash space: fast, and the recipe is the same as the shipped model's.
TINY = Params(n_features=1 << 16, max_iter=100)


def shared_data_path() -> Path:
    """Where the labelled data lives: $MODERATOR_SHARED_DATA or ../shared/data beside the repo."""
    configured = os.environ.get("MODERATOR_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared labelled CSVs; tests that need them skip with a reason where they are absent."""
    path = shared_data_path()
    if not (path / "README.md").is_file():
        pytest.skip(f"shared labelled data not found at {path} (set MODERATOR_SHARED_DATA)")
    return path


def shared_texts(folder: Path, every: int = 1, length: int | None = None) -> Iterator[str]:
    """The text of every `every`-th row of each shared-data CSV in `folder` (cut to `length`
    characters if given): the rows the exactness tests compare two code paths on."""
    csv.field_size_limit(10_000_000)
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle)):
                if i % every == 0:
                    yield row["text"][:length]


def write_sample(shared: Path, out_dir: Path, per_label: int = PER_LABEL,
                 files: tuple[str, ...] = SAMPLE_FILES) -> list[Path]:
    """The first rows of each label of a few sources, as CSVs in the same format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in files:
        seen: dict[str, int] = {}
        rows = []
        with (shared / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if seen.get(row["label"], 0) < per_label:
                    seen[row["label"]] = seen.get(row["label"], 0) + 1
                    rows.append(row)
        path = out_dir / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["text", "label", "source", "lang"])
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def tiny_params() -> Params:
    """Training parameters small enough for tests."""
    return TINY


@pytest.fixture(scope="session")
def sample_csvs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """150 rows per label of five sources, written once per session (never into the repo)."""
    return write_sample(shared_data, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def tiny_model_dir(sample_csvs: list[Path], tiny_params: Params,
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained on a sample of the shared data, in a temp dir (never the repo)."""
    from moderator.classifier.recipe import train_and_save

    out = tmp_path_factory.mktemp("models") / "propaganda" / "tiny"
    train_and_save(sample_csvs, out, tiny_params)
    return out


@pytest.fixture(scope="session")
def sample_writer() -> Callable[..., list[Path]]:
    """`write_sample` for tests that need another sample (other files, more rows per label)."""
    return write_sample


#: The shared Redis the flood-limit tests use (CI starts it: .ci/run).
REDIS_URL = os.environ.get("MODERATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(URL, a key prefix of this test's own) on the shared Redis; its keys deleted after.

    Only keys under the prefix are touched: never FLUSHALL, the Redis is shared. Skips
    with the reason where no Redis answers, except under CI, where that is a failure.
    """
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"no Redis at {REDIS_URL} ({type(exc).__name__}); CI runs one (.ci/run)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    prefix = f"moderator-test-{uuid.uuid4().hex}"
    try:
        yield REDIS_URL, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
