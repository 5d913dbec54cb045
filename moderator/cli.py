"""The `moderator` command: serve, check, and the model commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from moderator.admin_cli import COMMANDS as ADMIN_COMMANDS
from moderator.classifier.commands import COMMANDS as CLASSIFIER_COMMANDS
from moderator.errors import ModeratorError
from moderator.paths import DEFAULT_MODELS_DIR, DEFAULT_POLICY_DIR


@click.group()
@click.version_option(package_name="moderator")
def main() -> None:
    """Comment moderation and comment-policy checks for news sites."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API with gunicorn (MODERATOR_* variables configure it)."""
    from moderator.serve import serve as run_server

    try:
        run_server(host, port, workers)
    except ModeratorError as exc:  # e.g. no policy that loads: nothing to serve yet
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--policy", "policy_path", type=click.Path(exists=True, path_type=Path),
              default=DEFAULT_POLICY_DIR, help="A policy TOML file or a folder of them.")
@click.option("--models", "models_dir", type=click.Path(path_type=Path),
              default=DEFAULT_MODELS_DIR, show_default=True)
@click.option("--site", default=None, help="Overrides the request's site.")
def check(policy_path: Path, models_dir: Path, site: str | None) -> None:
    """Read one /v1/check request JSON on stdin and print the verdict JSON."""
    # Imported here, not at the top: `serve` must not import the HTTP layer (and with it
    # prometheus_client) before it has set up multi-process metrics.
    from moderator.http.errors import InvalidRequest
    from moderator.http.requests import parse_check, parse_json
    from moderator.service import Moderator

    try:
        service = Moderator.from_paths(policy_path, models_dir)
        payload = parse_json(sys.stdin.buffer.read())
        if site is not None and isinstance(payload, dict):
            payload["site"] = site
        verdict = service.check(parse_check(payload, service.policy))
    except InvalidRequest as exc:
        raise click.ClickException(str(exc.description)) from exc
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))


@main.group()
def config() -> None:
    """Inspect and validate the configuration."""


@config.command("check")
@click.option("--config", "config_file", type=click.Path(exists=True, path_type=Path),
              help="A TOML config file (default: $MODERATOR_CONFIG, if set).")
def config_check(config_file: Path | None) -> None:
    """Check what serving checks: settings, admin keys, the store, policies and models."""
    from moderator.config_check import check_all
    from moderator.http import config as settings_module

    try:
        check_all(settings_module.load(config_file=config_file), click.echo)
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("configuration ok")


for _command in CLASSIFIER_COMMANDS + ADMIN_COMMANDS:
    main.add_command(_command)
