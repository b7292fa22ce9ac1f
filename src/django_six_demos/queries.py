"""Count the SQL queries a block of code runs, on every database connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connections


class QueryCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


@contextmanager
def count_queries() -> Iterator[QueryCount]:
    """``with count_queries() as queries: ...`` then read ``queries.count``."""
    counter = QueryCount()
    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(counter))
        yield counter
