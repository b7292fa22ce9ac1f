"""Count the SQL queries a block of code runs, on every database connection, sync or async.

Connections are per thread, and async code runs its ORM calls in asgiref's threads: the
counters live in a context variable, which asgiref carries into those threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_started
from django.db import connections


class QueryCount:
    def __init__(self) -> None:
        self.count = 0


# The counters of the blocks the current context is in (nested blocks all count).
_active: ContextVar[tuple[QueryCount, ...]] = ContextVar(
    "django_six_demos_query_counts", default=()
)


def _count(execute: Callable[..., Any], *args: Any) -> Any:
    for counter in _active.get():
        counter.count += 1
    return execute(*args)


def watch_connections(**kwargs: Any) -> None:
    """Put the counting wrapper on this thread's connections, once each.

    First in the list: ``execute_wrapper()`` blocks open around it pop their own
    (the last) on the way out.
    """
    for connection in connections.all():
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.insert(0, _count)


def watch_request_threads() -> None:
    """Watch the connections of the thread each request starts in, from now on.

    Under ASGI, Django sends ``request_started`` in the thread where that request's
    sync code and ORM calls run (asgiref's thread-sensitive thread): an async view's
    queries are counted too.
    """
    request_started.connect(watch_connections, dispatch_uid="django_six_demos.queries")


@contextmanager
def count_queries() -> Iterator[QueryCount]:
    """``with count_queries() as queries: ...`` then read ``queries.count``.

    Counts the queries of this thread and of the threads asgiref runs this context's
    sync code in (``sync_to_async``, the async ORM) once ``watch_request_threads()``
    has watched them.
    """
    counter = QueryCount()
    watch_connections()
    token = _active.set((*_active.get(), counter))
    try:
        yield counter
    finally:
        _active.reset(token)
