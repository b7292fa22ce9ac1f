"""Argument types shared by the demos' management commands."""

from __future__ import annotations

import math
from argparse import ArgumentTypeError
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

Number = TypeVar("Number", int, float)


def bounded(
    kind: Callable[[str], Number],
    low: float,
    high: float = math.inf,
    *,
    also: tuple[Number, ...] = (),
) -> Callable[[str], Number]:
    """An argparse ``type``: a finite ``kind`` number from ``low`` to ``high``, or one of ``also``."""

    def parse(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            raise ArgumentTypeError(f"{text!r} is not a number") from None
        if value in also or (math.isfinite(value) and low <= value <= high):
            return value
        upper = "or more" if high == math.inf else f"to {high:g}"
        raise ArgumentTypeError(f"must be {low:g} {upper}, not {text}")

    return parse


def seconds(text: str) -> timedelta:
    """An argparse ``type``: zero or more seconds, as a timedelta."""
    return timedelta(seconds=bounded(float, 0)(text))
