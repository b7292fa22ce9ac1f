"""Model providers behind one small async interface: a conversation in, text tokens out.

The built-in model answers from the conference database and needs no network; Ollama answers
when ``DJANGO_SIX_DEMOS_STREAMING["OLLAMA_URL"]`` is set. Views only ever call ``get_provider()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import NamedTuple, Protocol


class ChatMessage(NamedTuple):
    role: str  # "user" | "assistant"
    content: str


class ProviderError(Exception):
    """A model could not answer; ``str()`` is a message fit to show the user."""


class Provider(Protocol):
    name: str
    description: str

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Yield the answer to the conversation's last user message, one text token at a time.

        An async generator: it may raise ``ProviderError`` before or between tokens, and
        ``aclose()`` (or cancelling the task that iterates it) closes any upstream connection.
        """
        ...


def get_provider() -> Provider:
    """Return Ollama when ``OLLAMA_URL`` is set, else the built-in model, as configured now."""
    # Imported here: both modules import ChatMessage and ProviderError from this one.
    from django_six_demos.streaming.providers.builtin import BuiltinModel
    from django_six_demos.streaming.providers.ollama import OllamaProvider
    from django_six_demos.streaming.settings import streaming_settings

    config = streaming_settings()
    if config.OLLAMA_URL:
        return OllamaProvider(
            config.OLLAMA_URL, config.OLLAMA_MODEL, config.TIMEOUT, max_tokens=config.MAX_TOKENS
        )
    return BuiltinModel(
        token_delay=config.TOKEN_DELAY,
        first_token_delay=config.FIRST_TOKEN_DELAY,
        max_tokens=config.MAX_TOKENS,
    )


def last_user_message(messages: Sequence[ChatMessage]) -> str:
    """The content of the conversation's last user message ("" when there is none)."""
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""
