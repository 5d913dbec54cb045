"""Ablation rows of the side-by-side bench: names, what they train, what they return."""

from __future__ import annotations

from pathlib import Path

from moderator.classifier.data import load_csvs
from moderator.classifier.sidebyside import ABLATIONS, VARIANTS, side_by_side
from moderator.classifier.train import Params


def test_every_params_row_can_be_named_once() -> None:
    assert set(VARIANTS) <= set(ABLATIONS)
    assert len(set(ABLATIONS)) == len(ABLATIONS)
    assert {"concepts", "stance"} <= set(ABLATIONS) - set(VARIANTS)


def test_the_rows_tried_before_keep_their_recipes() -> None:
    assert VARIANTS["NB ratio"] == Params(nb_ratio=True)
    assert VARIANTS["source-balanced"] == Params(source_balanced=True)
    assert VARIANTS["C=16"] == Params(C=16.0)


def test_every_new_row_differs_from_the_shipped_recipe_and_others() -> None:
    recipes = list(VARIANTS.values())
    assert Params() not in recipes
    assert len(set(recipes)) == len(recipes)


def test_a_params_row_is_trained_beside_baseline_and_shipped(sample_csvs: list[Path]) -> None:
    data = load_csvs(sample_csvs)
    results = side_by_side(data, only=["near-dup + source sqrt"], with_loso=False)
    assert set(results) == {"baseline", "shipped", "served", "near-dup + source sqrt"}
    row = results["near-dup + source sqrt"]["random_split"]["all"]
    assert row["rows"] == results["shipped"]["random_split"]["all"]["rows"]
    assert row["roc_auc"] is not None and 0.5 < row["roc_auc"] <= 1.0
