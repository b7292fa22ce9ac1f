"""The streaming room's one setting, ``DJANGO_SIX_DEMOS_STREAMING``: which model answers, and how fast.

Every key is optional; without ``OLLAMA_URL`` the built-in model answers, so the room needs no
network and no model weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SETTING: Final = "DJANGO_SIX_DEMOS_STREAMING"


@dataclass(frozen=True)
class StreamingSettings:
    OLLAMA_URL: str | None = None
    OLLAMA_MODEL: str = "llama3.2"
    TOKEN_DELAY: float = 0.05
    FIRST_TOKEN_DELAY: float = 0.3
    MAX_TOKENS: int = 400
    TIMEOUT: float = 30.0


_KEYS: Final = tuple(StreamingSettings.__dataclass_fields__)


def _seconds(key: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ImproperlyConfigured(
            f"{SETTING}[{key!r}] must be a number of seconds, not {value!r}."
        )
    if value < 0 or (positive and value == 0):
        bound = "more than 0" if positive else "0 or more"
        raise ImproperlyConfigured(f"{SETTING}[{key!r}] must be {bound} seconds, not {value!r}.")
    return float(value)


def streaming_settings() -> StreamingSettings:
    """Return ``DJANGO_SIX_DEMOS_STREAMING`` checked, with a default for each missing key.

    A wrong key or value raises ``ImproperlyConfigured`` naming it, e.g. ``{"MAX_TOKEN": 10}``.
    """
    raw = getattr(settings, SETTING, None) or {}
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"{SETTING} must be a dict, not {type(raw).__name__}.")
    unknown = sorted(str(key) for key in raw if key not in _KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"{SETTING} has unknown keys {', '.join(unknown)}; the keys are {', '.join(_KEYS)}."
        )
    defaults = StreamingSettings()

    # An empty string (an unset environment variable, say) means "no Ollama" too.
    url = raw.get("OLLAMA_URL", defaults.OLLAMA_URL) or None
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ImproperlyConfigured(
            f"{SETTING}['OLLAMA_URL'] must be an http(s) URL such as "
            f"'http://127.0.0.1:11434', or None for the built-in model, not {url!r}."
        )
    model = raw.get("OLLAMA_MODEL", defaults.OLLAMA_MODEL)
    if not isinstance(model, str) or not model.strip():
        raise ImproperlyConfigured(
            f"{SETTING}['OLLAMA_MODEL'] must name a model, such as 'llama3.2', not {model!r}."
        )
    max_tokens = raw.get("MAX_TOKENS", defaults.MAX_TOKENS)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ImproperlyConfigured(
            f"{SETTING}['MAX_TOKENS'] must be a whole number of 1 or more, not {max_tokens!r}."
        )
    return StreamingSettings(
        OLLAMA_URL=url.rstrip("/") if url else None,
        OLLAMA_MODEL=model.strip(),
        TOKEN_DELAY=_seconds("TOKEN_DELAY", raw.get("TOKEN_DELAY", defaults.TOKEN_DELAY)),
        FIRST_TOKEN_DELAY=_seconds(
            "FIRST_TOKEN_DELAY", raw.get("FIRST_TOKEN_DELAY", defaults.FIRST_TOKEN_DELAY)
        ),
        MAX_TOKENS=max_tokens,
        TIMEOUT=_seconds("TIMEOUT", raw.get("TIMEOUT", defaults.TIMEOUT), positive=True),
    )
