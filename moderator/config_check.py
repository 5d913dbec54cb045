"""`moderator config check`: what serving checks, before a deploy, naming the failing setting.

The server refuses to start (or answers 503) on a bad admin key, a bad hash key, a store
it cannot open, a policy that does not load or a model that does not verify; each of
these is checked here the same way, by the same code, so "configuration ok" means the
server will accept the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError

from moderator.errors import ModeratorError
from moderator.store import store_error_name


class ConfigCheckError(ModeratorError):
    """One setting is unusable; the message starts with its MODERATOR_* name."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"MODERATOR_{setting} ({setting.lower()} in the config file): {problem}")


def _public_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:  # an unparsable URL is reported without echoing it
        return "(unparsable URL)"


def _why(exc: BaseException) -> str:
    """The error's classes and the driver's first line ("connection refused", "file is not a
    database"): this is an operator's terminal, and the statements checked carry no data."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{store_error_name(exc)}: {first}" if first else store_error_name(exc)


def check_admin_keys(settings: Mapping[str, Any]) -> str:
    from moderator.auth import AdminKeys

    try:
        keys = AdminKeys.parse(settings.get("ADMIN_KEYS"))
    except ModeratorError as exc:
        raise ConfigCheckError("ADMIN_KEYS", str(exc)) from exc
    if not keys:
        return "admin keys: none (the moderators' API answers 401 to everyone)"
    return f"admin keys: ok ({', '.join(name for name, _ in keys.keys)})"


def check_store(settings: Mapping[str, Any]) -> str:
    """Open the store as a worker does, read from it, and compare its schema with the code's."""
    from moderator.store import DEFAULT_DATABASE_URL, open_store
    from moderator.store.engine import schema_revisions

    url = str(settings.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        store = open_store(settings, migrate=False)
    except ValueError as exc:  # the hash key
        raise ConfigCheckError("HASH_KEY", str(exc).removeprefix("MODERATOR_HASH_KEY ")) from exc
    except (SQLAlchemyError, OSError, ImportError) as exc:
        raise ConfigCheckError("DATABASE_URL", f"cannot open {_public_url(url)}: "
                                               f"{_why(exc)}") from None
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()
        current, head, known = schema_revisions(store.engine)
        if current is not None:
            problem = store.problem()  # reads the queue table; on PostgreSQL, read-only?
            if problem:
                raise ConfigCheckError("DATABASE_URL", f"{_public_url(url)}: {problem}")
    except SQLAlchemyError as exc:
        raise ConfigCheckError("DATABASE_URL", f"cannot use {_public_url(url)}: "
                                               f"{_why(exc)}") from None
    finally:
        store.close()
    if not known:
        raise ConfigCheckError("DATABASE_URL", f"the schema is at revision {current!r}, "
                                               f"which this version does not know (head {head})")
    state = "at head" if current == head else f"at {current or 'nothing'}; start-up migrates it"
    return f"store: ok ({_public_url(url)}, schema {state})"


def check_flood(settings: Mapping[str, Any]) -> str:
    """Build the flood counters as a worker does (a bad URL stops it) and ping Redis once.

    Redis not answering does not stop serving (comments get the policies' on_flood_error),
    so it is reported, not refused.
    """
    from urllib.parse import urlsplit

    from moderator.flood import FloodConfigError, FloodLimiter

    url = str(settings.get("REDIS_URL") or "")
    if not url:
        return "flood counters: memory (per worker; set MODERATOR_REDIS_URL to share them)"
    try:
        limiter = FloodLimiter(url, lambda: b"", key_prefix="config-check")
    except FloodConfigError as exc:
        raise ConfigCheckError("REDIS_URL", str(exc).removeprefix("MODERATOR_REDIS_URL ")) from None
    parts = urlsplit(url)
    try:
        shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    except ValueError:  # a port that is no number: never echo the URL, it may hold a password
        shown = "(unparsable URL)"
    if limiter.problem():
        return (f"flood counters: {shown} does not answer (until it does, comments get the "
                "policies' on_flood_error)")
    return f"flood counters: ok ({shown}, shared by every worker and host using it)"


def check_policies_and_models(settings: Mapping[str, Any], echo: Callable[[str], None]
                              ) -> list[str]:
    """Load every policy and the models they need; returns the policies' sites."""
    from moderator.policy import PolicySet
    from moderator.service import load_current_model

    policies = PolicySet.from_path(Path(settings["POLICY_DIR"]))
    for policy in policies:
        echo(f"policy {policy.label}: ok ({policy.source.name})")
    for name in sorted({p.classifier.model for p in policies if p.classifier.enabled}):
        model = load_current_model(Path(settings["MODELS_DIR"]), name)
        echo(f"model {model.version}: ok (card and sha256 verified)")
    return policies.sites()


def check_coral(settings: Mapping[str, Any], sites: list[str]) -> str:
    """Coral's secrets and site map, parsed as the server parses them; mapped sites exist."""
    from moderator.integrations.coral import CoralConfigError, CoralSettings

    try:
        coral = CoralSettings.parse(settings.get("CORAL_SECRETS"), settings.get("CORAL_SITES"))
    except CoralConfigError as exc:
        raise ConfigCheckError(exc.setting, exc.problem) from exc
    unknown = sorted(set(coral.sites.values()) - set(sites))
    if unknown:
        raise ConfigCheckError("CORAL_SITES", f"maps to site {unknown[0]!r}, which no policy has")
    if not coral.secrets:
        return "coral: off (no secrets; /v1/coral/moderate answers 401)"
    count = sum(len(s) for s in coral.secrets.values())
    return (f"coral: ok ({len(coral.secrets)} tenant(s), {count} secret(s), "
            f"{len(coral.sites)} site mapping(s))")


def check_akismet_keys(settings: Mapping[str, Any]) -> str:
    """MODERATOR_AKISMET_KEYS as a worker parses it, against the sites of the policies."""
    from moderator.http.akismet_keys import AkismetKeys
    from moderator.policy import PolicySet

    sites = PolicySet.from_path(Path(settings["POLICY_DIR"])).sites()
    try:
        keys = AkismetKeys.parse(settings.get("AKISMET_KEYS"), sites)
    except ModeratorError as exc:
        raise ConfigCheckError("AKISMET_KEYS", str(exc)) from exc
    return f"akismet keys: {len(keys)}" if keys else "akismet keys: none (every key is invalid)"


def check_widget_origins(settings: Mapping[str, Any]) -> str:
    """MODERATOR_WIDGET_ORIGINS as the server parses it: the sites a widget may run on."""
    from moderator.http.widget import parse_origins

    try:
        origins = parse_origins(settings.get("WIDGET_ORIGINS"))
    except ModeratorError as exc:
        raise ConfigCheckError("WIDGET_ORIGINS", str(exc)) from exc
    if not origins:
        return "widget origins: none (the widget runs on pages of this server's origin only)"
    return f"widget origins: {', '.join(sorted(origins))}"


def check_webhooks(settings: Mapping[str, Any]) -> str:
    """MODERATOR_WEBHOOK_SECRETS as a worker parses it, against the policies' [webhook]s:
    a site whose webhook is enabled needs a secret (its deliveries would fail unsigned)."""
    from moderator.policy import PolicySet
    from moderator.webhooks import WebhookConfigError, parse_secrets

    policies = PolicySet.from_path(Path(settings["POLICY_DIR"]))
    try:
        secrets = parse_secrets(settings.get("WEBHOOK_SECRETS"), policies.sites())
    except WebhookConfigError as exc:
        raise ConfigCheckError("WEBHOOK_SECRETS",
                               str(exc).removeprefix("MODERATOR_WEBHOOK_SECRETS ")) from exc
    hooked = [p for p in policies if p.webhook is not None and p.webhook.enabled]
    unsigned = sorted(p.site for p in hooked if p.site not in secrets)
    if unsigned:
        raise ConfigCheckError("WEBHOOK_SECRETS", f"site {unsigned[0]!r} has an enabled "
                               "[webhook] but no secret (add <site>=<secret>)")
    if not hooked:
        return "webhooks: none"
    from urllib.parse import urlsplit

    # Scheme and host only: a receiver's path or query may carry a token of its own.
    shown = [f"{p.site} -> {urlsplit(p.webhook.url).scheme}://{urlsplit(p.webhook.url).netloc}"
             for p in sorted(hooked, key=lambda p: p.site) if p.webhook is not None]
    return f"webhooks: ok ({', '.join(shown)})"


def check_all(settings: Mapping[str, Any], echo: Callable[[str], None]) -> None:
    """Every check in the order a worker meets them; the first failure raises."""
    echo(check_admin_keys(settings))
    echo(check_store(settings))
    echo(check_flood(settings))
    sites = check_policies_and_models(settings, echo)
    echo(check_coral(settings, sites))
    echo(check_akismet_keys(settings))
    echo(check_widget_origins(settings))
    echo(check_webhooks(settings))
