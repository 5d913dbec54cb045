"""The `moderator` command: serve, check, and the model commands."""

from __future__ import annotations

import click

from moderator.classifier.commands import COMMANDS as CLASSIFIER_COMMANDS


@click.group()
@click.version_option(package_name="moderator")
def main() -> None:
    """Comment moderation and comment-policy checks for news sites."""


for _command in CLASSIFIER_COMMANDS:
    main.add_command(_command)
