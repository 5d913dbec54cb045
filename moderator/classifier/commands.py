"""Click commands for training, evaluating and scoring models."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
