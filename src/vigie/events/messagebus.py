"""Who hears of what: the subscribers of each event, wired once at start-up.

Use cases do not call other contexts. They say what happened, as an event,
and the contexts that care have subscribed to it in :mod:`vigie.bootstrap`
(the only module that knows them all). So a context depends on the events it
hears, never on the contexts that hear its own.

An event reaches its subscribers at one of two moments:

* **after commit** (:meth:`MessageBus.publish`, the one way every use case
  publishes, once its transaction has committed): live streams, linking a new
  report to the alarms nearby… A subscriber that fails is logged; it can
  neither undo nor fail a change that is already durable.
* **in the transaction** (:meth:`MessageBus.stage`): only for what must commit
  or roll back with the change itself, the e-mail outbox (a message queued for
  a change that rolled back, or a change committed without its message, would
  both be wrong) and the history entry an alarm link adds to a report. Such a
  subscriber writes its own context's tables only, in the publisher's session,
  and may hand back events to publish after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event as sa_event

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

E = TypeVar("E")
# After commit: every event of its type from one publish() call, in order (a batch
# of alarm changes crosses the PostgreSQL bus as one NOTIFY statement).
AfterCommit = Callable[[list[Any]], None]
# In the transaction: the session and one event; returns events to publish after commit.
InTransaction = Callable[["Session", Any], Sequence[object] | None]


class MessageBus:
    def __init__(self) -> None:
        self._after: dict[type, list[AfterCommit]] = {}
        self._staged: dict[type, list[tuple[InTransaction, Callable[[Any], bool] | None]]] = {}

    # --- wiring (vigie.bootstrap) ------------------------------------------------------

    def subscribe(self, kind: type[E], handler: Callable[[list[E]], None]) -> None:
        """Call ``handler`` with the events of type ``kind`` once they are committed."""
        self._after.setdefault(kind, []).append(handler)

    def subscribe_in_transaction(
        self,
        kind: type[E],
        handler: Callable[[Session, E], Sequence[object] | None],
        wants: Callable[[E], bool] | None = None,
    ) -> None:
        """Call ``handler(session, event)`` inside the publisher's transaction.

        ``wants`` says cheaply whether ``handler`` has anything to write for an
        event: a publisher whose change needs no transactional subscriber may then
        commit it its own faster way (see :meth:`needs_transaction`).
        """
        self._staged.setdefault(kind, []).append((handler, wants))

    # --- publishing (use cases) -----------------------------------------------------------

    def needs_transaction(self, event: object) -> bool:
        """Whether some subscriber must write with ``event``'s change, in its transaction."""
        return any(wants is None or wants(event) for _, wants in self._staged.get(type(event), ()))

    def stage(self, s: Session, event: object) -> None:
        """Run the in-transaction subscribers of ``event`` in ``s`` (before its commit).

        The events they hand back are published once ``s`` commits (nothing if it
        rolls back), so a publisher cannot forget them. Their errors are the
        change's errors: the transaction rolls back with them.
        """
        later: list[object] = []
        for handler, wants in self._staged.get(type(event), ()):
            if wants is None or wants(event):
                later.extend(handler(s, event) or ())
        if later:
            self.publish_on_commit(s, lambda: later)

    def publish(self, events: Sequence[object]) -> None:
        """Hand committed ``events`` to their subscribers; never raises."""
        if not events:
            return
        batches: dict[type, list[object]] = {}
        for event in events:
            batches.setdefault(type(event), []).append(event)
        for kind, batch in batches.items():
            for handler in self._after.get(kind, ()):
                try:
                    handler(batch)
                except Exception:
                    log.exception("a subscriber of %s failed (%d events)", kind.__name__, len(batch))

    def publish_on_commit(self, s: Session, build: Callable[[], Sequence[object]]) -> None:
        """Publish the events ``build()`` gives once ``s`` commits; nothing if it rolls back.

        For an in-transaction subscriber whose write others want to hear of live (an
        operations log entry staged by any context): the publisher need not know it, and
        ``build`` runs after the commit, when the rows have their ids.
        """
        pending: list[Callable[[], Sequence[object]]] | None = s.info.get(_PENDING)
        if pending is None:
            pending = s.info[_PENDING] = []
            if not s.info.get(_HOOKED):
                s.info[_HOOKED] = True
                sa_event.listen(s, "after_commit", self._after_commit)
                sa_event.listen(s, "after_rollback", _forget_pending)
        pending.append(build)

    def _after_commit(self, s: Session) -> None:
        events: list[object] = []
        for build in s.info.pop(_PENDING, None) or ():
            try:
                events.extend(build())
            except Exception:
                log.exception("could not build the events of a committed change")
        self.publish(events)

    def subscribers(self) -> dict[str, list[str]]:
        """Event type -> its subscribers, by name (for the docs and the tests)."""
        out: dict[str, list[str]] = {}
        for kind, handlers in self._after.items():
            out.setdefault(kind.__name__, []).extend(f"after commit: {_name(h)}" for h in handlers)
        for kind, staged in self._staged.items():
            out.setdefault(kind.__name__, []).extend(f"in transaction: {_name(h)}" for h, _ in staged)
        return out


_PENDING = "vigie.publish_on_commit"
_HOOKED = "vigie.publish_on_commit.hooked"


def _forget_pending(s: Session) -> None:
    s.info.pop(_PENDING, None)


def _name(handler: Callable[..., Any]) -> str:
    func = getattr(handler, "func", handler)  # functools.partial
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"
