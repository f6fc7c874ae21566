"""One read transaction for a whole request (issue 26: "authentication inside the request's unit of work").

An API call reads in several places -- who the caller is, then the view's rows, then its tag -- and each
read-only unit of work was a transaction of its own: a session made, a connection checked out, ``BEGIN``,
rolled back, given back. Inside :func:`sharing` (the app opens it around each request) every reader of the
thread shares one read-only unit of work instead, opened at the first read and closed at the end.

What a shared read must never do is show less than a new one would:

* a **writer** ends the sharing (:func:`end`): what is read after it is read anew, so it sees what was just
  written (on SQLite a read transaction keeps the snapshot of its first read);
* so does **a wait** for a change (a long poll, an event stream: :meth:`engine.notify.Notifier.listening`):
  its reads must see what others commit, and nothing is held open while it waits;
* so does an **error** inside a reader: PostgreSQL refuses every statement of a transaction after a failed
  one, and the next reader starts afresh.

A unit of work in use when the sharing ends is closed when its last reader leaves it. Threads (each request
has its own) never share one: the current sharing is a context variable. Outside a request -- the worker, the
command line -- nothing is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .database import Sessions
    from .unit_of_work import UnitOfWork


class SharedReads:
    """The read-only unit of work the readers of one request share, over one database's ``sessions``."""

    def __init__(self, sessions: Sessions, open_reader: Callable[[], UnitOfWork]) -> None:
        self.sessions = sessions
        self._open = open_reader
        self._uow: UnitOfWork | None = None
        self._readers = 0  # readers inside their ``with`` block now
        self.ended = False
        self.opened = 0  # transactions it opened (what the tests count)

    @contextmanager
    def borrowed(self) -> Iterator[UnitOfWork]:
        """The shared unit of work for a ``with`` block (opened at the first)."""
        if self._uow is None:
            uow = self._open()
            uow.__enter__()
            self._uow = uow
            self.opened += 1
        self._readers += 1
        try:
            yield self._uow
        except BaseException:
            self.ended = True  # the transaction may be broken: the next reader starts a new one
            raise
        finally:
            self._readers -= 1
            if self.ended and self._readers == 0:
                self._close()

    def end(self) -> None:
        """No more sharing: the transaction closes now, or as soon as the readers inside it leave."""
        self.ended = True
        if self._readers == 0:
            self._close()

    def _close(self) -> None:
        uow, self._uow = self._uow, None
        if uow is not None:
            uow.__exit__(None, None, None)


_CURRENT: ContextVar[SharedReads | None] = ContextVar("onething_shared_reads", default=None)


def current(sessions: Sessions) -> SharedReads | None:
    """The sharing open in this thread over ``sessions``, if one is and has not ended."""
    shared = _CURRENT.get()
    return shared if shared is not None and not shared.ended and shared.sessions is sessions else None


def end() -> None:
    """End the sharing open in this thread, if any (a write or a wait comes)."""
    shared = _CURRENT.get()
    if shared is not None:
        shared.end()


def begin(sessions: Sessions, open_reader: Callable[[], UnitOfWork]) -> SharedReads:
    """Start sharing reads in this thread (a request begins); :func:`finish` when it ends."""
    finish()
    shared = SharedReads(sessions, open_reader)
    _CURRENT.set(shared)
    return shared


def finish() -> None:
    """Stop sharing in this thread and close the shared transaction (a request ends, however it ends)."""
    shared = _CURRENT.get()
    _CURRENT.set(None)
    if shared is not None:
        shared.end()


@contextmanager
def sharing(sessions: Sessions, open_reader: Callable[[], UnitOfWork]) -> Iterator[SharedReads]:
    """Share reads in this thread for the block."""
    shared = begin(sessions, open_reader)
    try:
        yield shared
    finally:
        finish()
