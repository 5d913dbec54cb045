"""The extremist-propaganda classifier: train, evaluate, load, score and explain."""

from moderator.classifier.model import Contribution, Model, load_model
from moderator.classifier.registry import resolve_current

__all__ = ["Contribution", "Model", "load_model", "resolve_current"]
