"""Load and validate policies from TOML; every error names the file and the key."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import regex

from moderator.errors import PolicyError, UnknownSiteError
from moderator.policy.akismet import load_akismet
from moderator.policy.flood import load_flood
from moderator.policy.incitement import CODES as INCITEMENT_CODES
from moderator.policy.incitement import IncitementMatcher
from moderator.policy.incitement_lexicon import load_lexicon
from moderator.policy.messages import load_messages
from moderator.policy.model import (
    FIELD_TYPES,
    ClassifierSettings,
    FailurePolicy,
    FieldSpec,
    IncitementRule,
    LinkRule,
    PatternRule,
    Policy,
    TermRule,
)
from moderator.policy.tables import Table
from moderator.policy.terms import MAX_ENTRIES_PER_RULE, TermMatcher, load_wordlist
from moderator.policy.webhook import load_webhook
from moderator.types import Action

#: Inputs that make a backtracking-prone pattern blow up; a pattern that cannot get through
#: them within the probe budget is refused at load rather than left to time out in production.
#: Short and long runs both: the `regex` package shortcuts some long inputs that a short one
#: still blows up on. Each pattern is also probed with runs made of its own letters and
#: literal words, behind each of its literal words (see `_probes_for`), so a pattern that
#: only blows up on `z`s, or only after `foo`, cannot slip past a fixed list.
_RUN_LENGTHS = (40, 3000)
_BASE_UNITS = ("a", "1", " ", "-", ".", "x", "я", "ab")
_ENDINGS = ("!\u0000", "\n!")
_PROBE_TIMEOUT_SECONDS = 0.05
#: What an escape such as `\d` or `\p{L}` matches, as a sample character.
_ESCAPE_SAMPLES = {"d": "1", "w": "a", "s": " ", "p": "aя", "X": "a", "h": " ", "N": "1"}
_LITERAL_WORD = regex.compile(r"(?<!\\)[\p{L}\p{N}]{2,12}")
_MAX_UNITS = 24
_MAX_PREFIXES = 6
_SITE_RE = regex.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_LANGUAGE_RE = regex.compile(r"[a-z]{2,3}")
DEFAULT_INCITEMENT_MESSAGE = (
    "This comment may call for violence or recruit for an armed group and is held for a "
    "moderator."
)


def load_policy(path: Path, *, wordlist_dir: Path | None = None,
                incitement_dir: Path | None = None) -> Policy:
    """Read one policy file. Word lists resolve against `wordlist_dir` (default: ../wordlists),
    incitement languages against `incitement_dir` (default: ../incitement)."""
    path = Path(path)
    wordlist_dir = wordlist_dir or path.resolve().parent.parent / "wordlists"
    incitement_dir = incitement_dir or path.resolve().parent.parent / "incitement"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(str(path), "(file)", f"cannot be read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), "(file)", f"is not valid UTF-8 ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(str(path), "(file)", f"is not valid TOML: {exc}") from exc
    root = Table(data, path, "")
    header = root.table("policy", required=True)
    assert header is not None
    site = header.get("site", str, required=True)
    if not _SITE_RE.fullmatch(site):
        raise header.error("site", "must be lower-case letters, digits, '_', '.', '-'")
    version = header.get("version", str, required=True)
    description = header.get("description", str, "")
    header.done()

    fields = _load_fields(root)
    failure = _load_failure(root)
    classifier = _load_classifier(root, fields)
    policy = Policy(
        site=site,
        version=version,
        description=description,
        source=path,
        fields=fields,
        terms=tuple(_load_terms(root, fields, wordlist_dir)),
        patterns=tuple(_load_patterns(root, fields)),
        links=_load_links(root, fields),
        classifier=classifier,
        failure=failure,
        incitement=_load_incitement(root, fields, incitement_dir),
        flood=load_flood(root, fields, classifier.field),
        akismet=load_akismet(root, fields, classifier.field),
        webhook=load_webhook(root),
        messages=load_messages(root, fields),
    )
    _check_evidence(policy)
    root.done()
    return policy


def _check_evidence(policy: Policy) -> None:
    """Evidence word lists need a classifier to combine with and a threshold to lower to."""
    rules = [rule.name for rule in policy.terms if rule.evidence]
    if not rules:
        return
    settings = policy.classifier
    if not settings.enabled or settings.evidence_review_threshold is None:
        raise PolicyError(str(policy.source), f"terms {rules[0]!r}",
                          "as_evidence = true needs an enabled [classifier] with "
                          "evidence_review_threshold (or set as_evidence = false to hold "
                          "every hit)")


def _load_fields(root: Table) -> dict[str, FieldSpec]:
    table = root.table("fields", required=True)
    assert table is not None
    fields: dict[str, FieldSpec] = {}
    for name in table.names():
        spec = table.table(name)
        assert spec is not None
        kind = spec.get("type", str, "text")
        if kind not in FIELD_TYPES:
            raise spec.error("type", f"must be one of {', '.join(FIELD_TYPES)}")
        max_length = spec.get("max_length", int)
        min_length = spec.get("min_length", int)
        for key, value in (("max_length", max_length), ("min_length", min_length)):
            if value is not None and value < 0:
                raise spec.error(key, "must not be negative")
        if max_length is not None and min_length is not None and min_length > max_length:
            raise spec.error("min_length", "is greater than max_length")
        fields[name] = FieldSpec(
            name=name,
            label=spec.get("label", str, name.capitalize()),
            type=kind,
            required=spec.get("required", bool, False),
            max_length=max_length,
            min_length=min_length,
        )
        spec.done()
    if not fields:
        raise table.error("", "must name at least one field")
    return fields


def _field_names(
    table: Table, fields: dict[str, FieldSpec], default: tuple[str, ...]
) -> tuple[str, ...]:
    names = table.string_list("fields", default)
    for name in names:
        if name not in fields:
            raise table.error("fields", f"names unknown field {name!r}")
    return names


def _text_fields(fields: dict[str, FieldSpec]) -> tuple[str, ...]:
    return tuple(name for name, spec in fields.items() if spec.type == "text")


def _load_terms(
    root: Table, fields: dict[str, FieldSpec], wordlist_dir: Path
) -> Iterator[TermRule]:
    for table in root.tables("terms"):
        name = table.get("name", str, required=True)
        entries = list(table.string_list("words"))
        for listed in table.string_list("wordlists"):
            list_path = (wordlist_dir / f"{listed}.txt").resolve()
            if wordlist_dir.resolve() not in list_path.parents:
                raise table.error("wordlists", f"{listed!r} points outside the word-list folder")
            if not list_path.is_file():
                raise table.error("wordlists", f"{listed!r}: no file {list_path.name} in {listed}")
            entries.extend(load_wordlist(list_path))
            if len(entries) > MAX_ENTRIES_PER_RULE:
                raise table.error("wordlists", f"more than {MAX_ENTRIES_PER_RULE} entries "
                                               "together; split the rule or shorten the lists")
        if len(entries) > MAX_ENTRIES_PER_RULE:
            raise table.error("words", f"more than {MAX_ENTRIES_PER_RULE} entries")
        if not entries:
            raise table.error("words", "the rule lists no words or word lists")
        yield TermRule(
            name=name,
            code=table.get("code", str, "banned"),
            action=table.action("action"),
            message=table.get("message", str, required=True),
            fields=_field_names(table, fields, _text_fields(fields)),
            matcher=TermMatcher.from_entries(entries, source=f"{table.path}: {table.key}"),
            evidence=table.get("as_evidence", bool, False),
        )
        table.done()


def _load_patterns(root: Table, fields: dict[str, FieldSpec]) -> Iterator[PatternRule]:
    for table in root.tables("patterns"):
        name = table.get("name", str, required=True)
        source = table.get("regex", str, required=True)
        try:
            pattern = regex.compile(source, regex.IGNORECASE | regex.VERSION1)
        except regex.error as exc:
            raise table.error("regex", f"does not compile: {exc}") from exc
        _probe(table, pattern)
        yield PatternRule(
            name=name,
            code=table.get("code", str, f"pattern.{name}"),
            action=table.action("action"),
            message=table.get("message", str, required=True),
            fields=_field_names(table, fields, _text_fields(fields)),
            pattern=pattern,
        )
        table.done()


def _probes_for(source: str) -> list[str]:
    """Hostile inputs for one pattern: runs of the fixed units and of the pattern's own
    characters and literal words, alone and after each literal word (`foo(z|zz)+y` only
    backtracks after `foo`), each ended by characters that make the match fail late."""
    units = dict.fromkeys(_BASE_UNITS)
    escaped = False
    for ch in source:
        if escaped:
            for sample in _ESCAPE_SAMPLES.get(ch, ch if not ch.isalnum() else ""):
                units[sample] = None
            escaped = False
        elif ch == "\\":
            escaped = True
        elif not ch.isspace() and ch not in "()[]{}|*+?^$":
            units[ch] = None
    words = list(dict.fromkeys(_LITERAL_WORD.findall(source)))
    units.update(dict.fromkeys(words))
    prefixes = ["", *words[:_MAX_PREFIXES]]
    return [prefix + unit * (length // len(unit)) + ending
            for unit in list(units)[:_MAX_UNITS + len(_BASE_UNITS)]
            for prefix in prefixes for length in _RUN_LENGTHS for ending in _ENDINGS]


def _probe(table: Table, pattern: regex.Pattern[str]) -> None:
    """Refuse a pattern that backtracks catastrophically on simple hostile inputs.

    Every match is consumed, as `check_patterns` does, so a pattern that matches early
    and blows up later in the text is caught too.
    """
    for probe in _probes_for(pattern.pattern):
        try:
            for _ in pattern.finditer(probe, timeout=_PROBE_TIMEOUT_SECONDS):
                pass
        except TimeoutError as exc:
            raise table.error(
                "regex", "is too slow on long repetitive input (catastrophic backtracking)"
            ) from exc


def _load_links(root: Table, fields: dict[str, FieldSpec]) -> LinkRule | None:
    table = root.table("links")
    if table is None:
        return None
    max_links = table.get("max", int, required=True)
    if max_links < 0:
        raise table.error("max", "must not be negative")
    rule = LinkRule(
        max_links=max_links,
        action=table.action("action", Action.REVIEW),
        message=table.get("message", str, f"Comments may contain at most {max_links} links."),
        fields=_field_names(table, fields, _text_fields(fields)),
        emails=table.get("emails", bool, False),
    )
    table.done()
    return rule


def _load_incitement(root: Table, fields: dict[str, FieldSpec],
                     incitement_dir: Path) -> IncitementRule | None:
    """`[incitement]`: enabled, languages, one `action` and/or `[incitement.actions]` per code."""
    table = root.table("incitement")
    if table is None:
        return None
    enabled = table.get("enabled", bool, True)
    languages = table.string_list("languages", ("en", "ru", "kk"))
    if not languages:
        raise table.error("languages", "must name at least one language")
    for lang in languages:
        if not _LANGUAGE_RE.fullmatch(lang):
            raise table.error("languages", f"{lang!r} is not a language code (2-3 letters)")
        if not (incitement_dir / lang / "grammar.toml").is_file():
            raise table.error("languages", f"{lang!r}: no {lang}/grammar.toml in the "
                                           "incitement folder")
    if len(set(languages)) != len(languages):
        raise table.error("languages", "names a language twice")
    action = table.action("action", Action.REVIEW)
    actions = dict.fromkeys(INCITEMENT_CODES, action)
    per_code = table.table("actions")
    if per_code is not None:
        for code in INCITEMENT_CODES:
            actions[code] = per_code.action(code, action)
        per_code.done()
    default_fields = ("comment",) if "comment" in fields else _text_fields(fields)
    names = _field_names(table, fields, default_fields)
    for name in names:
        if fields[name].type != "text":
            raise table.error("fields", f"{name!r} is not a text field")
    message = table.get("message", str, DEFAULT_INCITEMENT_MESSAGE)
    table.done()
    if not enabled:
        return None
    matcher = IncitementMatcher([load_lexicon(incitement_dir / lang, lang)
                                 for lang in languages])
    return IncitementRule(actions=actions, message=message, fields=names, matcher=matcher)


def _threshold(table: Table, key: str) -> float | None:
    value = table.get(key, float)
    if value is not None and not 0.0 <= value <= 1.0:
        raise table.error(key, "must be between 0 and 1")
    return value


def _load_classifier(root: Table, fields: dict[str, FieldSpec]) -> ClassifierSettings:
    table = root.table("classifier")
    if table is None:
        return ClassifierSettings(False, "propaganda", "comment", None, None, "")
    field = table.get("field", str, "comment")
    if field not in fields:
        raise table.error("field", f"names unknown field {field!r}")
    settings = ClassifierSettings(
        enabled=table.get("enabled", bool, True),
        model=table.get("model", str, "propaganda"),
        field=field,
        review_threshold=_threshold(table, "review_threshold"),
        reject_threshold=_threshold(table, "reject_threshold"),
        message=table.get(
            "message", str, "This comment may promote violence or extremism and is held for review."
        ),
        evidence_review_threshold=_threshold(table, "evidence_review_threshold"),
    )
    if (
        settings.review_threshold is not None
        and settings.reject_threshold is not None
        and settings.review_threshold > settings.reject_threshold
    ):
        raise table.error("review_threshold", "is greater than reject_threshold")
    table.done()
    return settings


def _load_failure(root: Table) -> FailurePolicy:
    table = root.table("failure")
    if table is None:
        return FailurePolicy(0.1, Action.REVIEW, Action.REVIEW)
    timeout_ms = table.get("regex_timeout_ms", int, 100)
    if not 1 <= timeout_ms <= 10_000:
        raise table.error("regex_timeout_ms", "must be between 1 and 10000")
    failure = FailurePolicy(
        regex_timeout_seconds=timeout_ms / 1000,
        on_regex_timeout=table.action("on_regex_timeout", Action.REVIEW, allow_flag=False),
        on_classifier_error=table.action("on_classifier_error", Action.REVIEW, allow_flag=False),
        on_flood_error=table.action("on_flood_error", Action.REVIEW, allow_flag=False),
    )
    table.done()
    return failure


class PolicySet:
    """All sites' policies, loaded from one folder of TOML files; the request's site picks one."""

    def __init__(self, policies: dict[str, Policy]) -> None:
        self._policies = dict(policies)

    @classmethod
    def from_path(cls, path: Path) -> PolicySet:
        """A single policy file, or every *.toml in a folder."""
        path = Path(path)
        if path.is_dir():
            return cls.from_dir(path)
        policy = load_policy(path)
        return cls({policy.site: policy})

    @classmethod
    def from_dir(cls, policy_dir: Path, *, wordlist_dir: Path | None = None) -> PolicySet:
        files = sorted(Path(policy_dir).glob("*.toml"))
        if not files:
            raise PolicyError(str(policy_dir), "(folder)", "holds no *.toml policy")
        policies: dict[str, Policy] = {}
        for file in files:
            policy = load_policy(file, wordlist_dir=wordlist_dir)
            if policy.site in policies:
                other = policies[policy.site].source.name
                raise PolicyError(str(file), "policy.site", f"{policy.site!r} is also in {other}")
            policies[policy.site] = policy
        return cls(policies)

    def get(self, site: str) -> Policy:
        try:
            return self._policies[site]
        except KeyError:
            raise UnknownSiteError(site) from None

    def sites(self) -> list[str]:
        return sorted(self._policies)

    def __iter__(self) -> Iterator[Policy]:
        return iter(self._policies.values())
