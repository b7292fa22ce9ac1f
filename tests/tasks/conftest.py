from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tasks.backends import ON_RQ, flush_rq_queues


@pytest.fixture(autouse=True)
def _empty_rq_queues() -> Iterator[None]:
    # Under RQ a test starts with empty queues (no job left by a crashed run)
    # and leaves none behind: a burst worker would run another test's jobs.
    if not ON_RQ:
        yield
        return
    flush_rq_queues()
    yield
    flush_rq_queues()
