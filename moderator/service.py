"""The `Moderator` facade: policies plus models behind one `check` call.

The HTTP layer and the CLI talk only to this; it owns loading, never the
callers, so a host app can embed the checker with two lines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from moderator.errors import ModelError, ModeratorError
from moderator.hotswap import ModelWatcher
from moderator.paths import DEFAULT_MODELS_DIR, DEFAULT_POLICY_DIR
from moderator.policy import PolicySet, Scorer, links, run_policy
from moderator.policy.messages import localize
from moderator.policy.model import Policy
from moderator.types import Comment, Decision, Verdict, decide

if TYPE_CHECKING:
    from moderator.flood import FloodLimiter
    from moderator.store import QueueItem, Store
    from moderator.webhooks import WebhookDispatcher

log = logging.getLogger(__name__)
#: Seconds between tries to open a store that could not be opened.
STORE_RETRY_SECONDS = 2.0


class StoreUnavailable(ModeratorError):
    """The review store could not be opened; a comment that must be held cannot be."""


class QueueNotKept(ModeratorError):
    """This checker keeps no review queue (no store), so there is nothing to decide."""


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """A moderator's decision or undo, once recorded: what `decision_listeners` hear.

    `action` is approve, reject or undo; `item` is the comment as it now stands (after an
    undo: back in its queue, `undone` naming the decision taken back, e.g. `approve`).
    """

    action: str
    item: QueueItem
    moderator: str
    undone: str | None = None


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """Whether a policy's model loaded; `error` says why not, for /healthz."""

    name: str
    version: str | None
    error: str | None


class Moderator:
    """Checks comments against the site's policy and the policy's model."""

    def __init__(self, policies: PolicySet, models: dict[str, Scorer | None],
                 model_errors: dict[str, str] | None = None, *,
                 store: Store | None = None, watcher: ModelWatcher | None = None,
                 store_opener: Callable[[], Store] | None = None,
                 policy_digest: str | None = None, policy_error: str | None = None,
                 limiter: FloodLimiter | None = None) -> None:
        self.policies = policies
        self._models = dict(models)
        self._model_errors = dict(model_errors or {})
        self._store = store
        #: Opens the store when it is first needed, and again after a failure (see `store`).
        self._store_opener = store_opener
        self._store_error: str | None = None
        self._store_next_try = 0.0
        self._store_lock = threading.Lock()
        #: Swaps in a newly promoted model without a restart (None: models stay fixed).
        self.watcher = watcher
        #: sha256 of the policy files served, and why an edit of them was not taken.
        self.policy_digest = policy_digest
        self.policy_error = policy_error
        #: Counts repeat posts and comments per commenter and IP (None: policies' [flood]
        #: sections are not enforced, as in `moderator check` and evaluations).
        self.limiter = limiter
        #: Called after each decision and undo is committed (a site's webhook hooks in
        #: here); one that raises is logged by class and does not undo the decision.
        self.decision_listeners: list[Callable[[DecisionEvent], None]] = []
        #: Sends the sites' webhook deliveries (`moderator.webhooks.attach` sets it).
        self.webhooks: WebhookDispatcher | None = None
        if store is None and store_opener is not None:
            self.attach_store(store_opener)

    def attach_store(self, opener: Callable[[], Store]) -> None:
        """Open the store with `opener` now, or (if that fails) whenever it is next needed."""
        self._store_opener = opener
        self._try_open_store()

    @property
    def store(self) -> Store | None:
        """Where held comments wait for a moderator (None: not kept).

        Raises StoreUnavailable while a store that is configured cannot be opened (the
        database is down at boot): the server runs on, and tries again every few seconds.
        """
        if self._store is None and self._store_opener is not None:
            if time.monotonic() >= self._store_next_try:
                self._try_open_store()
            if self._store is None:
                raise StoreUnavailable(f"the review store cannot be opened: {self._store_error}")
        return self._store

    @store.setter
    def store(self, value: Store | None) -> None:
        self._store = value

    def _try_open_store(self) -> None:
        if not self._store_lock.acquire(blocking=False):
            return  # another thread is trying right now
        try:
            self._store_next_try = time.monotonic() + STORE_RETRY_SECONDS
            assert self._store_opener is not None
            self._store = self._store_opener()
            self._store_error = None
        except Exception as exc:  # any failure to open means "not yet"
            # The type only: a driver's message may carry the URL with its password.
            self._store_error = type(exc).__name__
            log.warning("review store not available: %s", self._store_error)
        finally:
            self._store_lock.release()

    def problems(self) -> list[str]:
        """What /healthz reports as degraded: a store not opened, a policy edit not taken."""
        found = []
        due = time.monotonic() >= self._store_next_try  # back yet? (health checks ask often)
        if self._store is None and self._store_opener is not None and due:
            self._try_open_store()
        if self._store is None and self._store_opener is not None:
            found.append(f"store: cannot be opened ({self._store_error or 'not yet tried'})")
        if self.policy_error:
            found.append(f"policy: {self.policy_error}")
        if self.limiter is not None and any(p.flood for p in self.policies):
            problem = self.limiter.problem()
            if problem:
                found.append(f"flood limits: {problem}")
        return found

    @classmethod
    def from_paths(cls, policy_path: Path = DEFAULT_POLICY_DIR,
                   models_dir: Path = DEFAULT_MODELS_DIR, database_url: str | None = None, *,
                   store: Store | None = None, watch: bool = True) -> Moderator:
        """Load the policies (a file or a folder), then every model they name.

        A model that fails to load is recorded, not raised: its policies then hold
        comments for review as their failure section says, and /healthz says why.
        With `watch`, a later promotion (models/<name>/CURRENT) is picked up live.
        With `database_url` (SQLAlchemy: `sqlite:///...`, `postgresql+psycopg://...`),
        held comments wait there for moderators; it is opened now or, if the database is
        down, at the next comment that needs it. Without it (or `store`) nothing is kept.
        `[flood]` limits are not enforced (`limiter` is None): `moderator.http.init_app`
        builds a checker that enforces them.
        """
        if database_url is not None and store is not None:
            raise ValueError("pass a database_url or a store, not both")
        service = cls._load(Path(policy_path), Path(models_dir), store, watch)
        if database_url is not None:
            from moderator.store import open_store

            service.attach_store(partial(open_store, {"DATABASE_URL": database_url}))
        return service

    @classmethod
    def _load(cls, policy_path: Path, models_dir: Path, store: Store | None,
              watch: bool) -> Moderator:
        policies = PolicySet.from_path(policy_path)
        names = {p.classifier.model for p in policies if p.classifier.enabled}
        if any(p.links for p in policies):
            links.warm_up()
        if watch:
            return cls(policies, {}, store=store, watcher=ModelWatcher(models_dir, names))
        models: dict[str, Scorer | None] = {}
        errors: dict[str, str] = {}
        for name in sorted(names):
            try:
                models[name] = load_current_model(models_dir, name)
            except ModelError as exc:
                models[name] = None
                errors[name] = str(exc)
        return cls(policies, models, errors, store=store)

    def _snapshot(self) -> tuple[Mapping[str, Scorer | None], Mapping[str, str]]:
        """The models for one request: taken once, so a request never mixes versions."""
        if self.watcher is not None:
            return self.watcher.snapshot()  # type: ignore[return-value]
        return self._models, self._model_errors

    def policy(self, site: str) -> Policy:
        """The policy of `site` (its fields, limits, `label`); UnknownSiteError if none."""
        return self.policies.get(site)

    def model_for(self, policy: Policy) -> Scorer | None:
        if not policy.classifier.enabled:
            return None
        return self._snapshot()[0].get(policy.classifier.model)

    def check(self, comment: Comment, *, policy: Policy | None = None,
              annotate: Callable[[Verdict], Verdict] | None = None,
              hold: bool = True) -> Verdict:
        """The verdict; a `review` one is stored for moderators and carries the queue id.

        Raises FloodLimited (before any rule runs) when the commenter or the address is
        past the policy's `[flood]` rate; a repeat post adds a `flood.repeat` finding.
        An adapter may pass its view of the site's `policy` (the fields its channel sends)
        and `annotate` the verdict before it is stored (spans into the text as it was sent).
        `hold=False` answers without storing (an Akismet `is_test` call must not fill the
        queue a moderator reads).
        """
        policy = policy or self.policies.get(comment.site)
        flood = self.limiter.check(comment, policy) if self.limiter is not None else ()
        verdict = run_policy(comment, policy, self.model_for(policy))
        if flood:
            findings = verdict.findings + flood
            verdict = replace(verdict, findings=findings, decision=decide(findings))
        if annotate is not None:
            verdict = annotate(verdict)
        if hold and verdict.decision is Decision.REVIEW:
            verdict = self.hold(comment, verdict, policy)
        elif hold and verdict.decision is Decision.REJECT:
            verdict = self.keep_rejected(comment, verdict, policy)
        # Kept in English for moderators; answered in the commenter's language.
        return localize(verdict, policy, comment.context.get("language"))

    def precheck(self, comment: Comment) -> Verdict:
        """What `check` would decide from the policy alone, with nothing kept or counted.

        For the comment form's pre-check while the commenter is still writing: no flood
        counter moves (a pre-check followed by the real post must not look like a repeat),
        and nothing is stored for moderators.
        """
        policy = self.policies.get(comment.site)
        verdict = run_policy(comment, policy, self.model_for(policy))
        return localize(verdict, policy, comment.context.get("language"))

    def hold(self, comment: Comment, verdict: Verdict,
             policy: Policy | None = None) -> Verdict:
        """Store a comment for moderators (when a store is kept); the verdict gets its id."""
        if self.store is None:
            return verdict
        policy = policy or self.policies.get(comment.site)
        emails = tuple(n for n, spec in policy.fields.items() if spec.type == "email")
        return replace(verdict, id=self.store.hold(comment, verdict, policy.classifier.field,
                                                   emails))

    def keep_rejected(self, comment: Comment, verdict: Verdict, policy: Policy) -> Verdict:
        """Keep a rejected comment with text for moderators to reverse; best effort.

        The verdict gets the kept comment's id. An unavailable store keeps nothing and
        changes nothing: the comment is rejected either way.
        """
        if not comment.fields.get(policy.classifier.field, "").strip():
            return verdict  # nothing a moderator could read (a required field left empty)
        try:
            store = self.store
        except StoreUnavailable:
            return verdict
        if store is None:
            return verdict
        emails = tuple(n for n, spec in policy.fields.items() if spec.type == "email")
        kept = store.keep_rejected(comment, verdict, policy.classifier.field, emails)
        return replace(verdict, id=kept) if kept else verdict

    # -- moderators' decisions: the one place the JSON API and the page record them -------

    def _queue(self) -> Store:
        store = self.store
        if store is None:
            raise QueueNotKept("this checker keeps no review queue")
        return store

    def decide(self, comment_id: str, decision: str, label: str, moderator: str, *,
               reason: str | None = None, note: str | None = None) -> QueueItem:
        """Record a decision (store, label, audit log and the site's webhook delivery in
        one transaction), then tell the listeners. Raises NotFound and AlreadyDecided."""
        from moderator.webhooks import messages

        item = self._queue().decide(comment_id, decision, label, moderator, reason=reason,
                                    note=note,
                                    notify=messages.for_decision(self.policies, moderator))
        self._announce(DecisionEvent(decision, item, moderator))
        return item

    def undo(self, comment_id: str, moderator: str, window_seconds: float) -> QueueItem:
        """Take back `moderator`'s decision within the window; raises UndoRefused, NotFound."""
        store = self._queue()
        before = store.get(comment_id)
        from moderator.webhooks import messages

        item = store.undo(comment_id, moderator, window_seconds,
                          notify=messages.for_undo(self.policies, moderator))
        self._announce(DecisionEvent("undo", item, moderator, undone=before.decision))
        return item

    def _announce(self, event: DecisionEvent) -> None:
        for listener in list(self.decision_listeners):
            try:
                listener(event)
            except Exception as exc:  # the decision stands whatever a listener does
                log.error("decision listener failed: %s", type(exc).__name__)

    def model_status(self) -> list[ModelStatus]:
        models, errors = self._snapshot()
        return [
            ModelStatus(name, model.version if model else None, errors.get(name))
            for name, model in sorted(models.items())
        ]


def load_current_model(models_dir: Path, name: str) -> Scorer:
    """The promoted version of model `name`; raises ModelError if it is absent or unsafe."""
    from moderator.classifier.model import load_model
    from moderator.classifier.registry import resolve_current

    return load_model(resolve_current(models_dir, name))  # both raise ModelError
