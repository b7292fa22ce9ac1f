"""What the streaming room's tests share: a scripted model, stored answers, parsed events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import NamedTuple

from django.contrib.auth.models import User
from django.test import TestCase

from django_six_demos.streaming.models import Conversation, Message, new_stream_token
from django_six_demos.streaming.providers import ChatMessage, ProviderError

PROVIDER = "django_six_demos.streaming.views.get_provider"


class ScriptedModel:
    """A model that says ``tokens``, ``delay`` seconds apart; it may fail after ``fail_after``."""

    name = "Scripted model"
    description = "A model the test scripts."

    def __init__(
        self, tokens: Sequence[str], *, delay: float = 0.0, fail_after: int | None = None
    ) -> None:
        self.tokens = list(tokens)
        self.delay = delay
        self.fail_after = fail_after
        self.runs = 0
        self.closed = 0
        self.heard: list[ChatMessage] = []

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        self.runs += 1
        self.heard = list(messages)
        try:
            for number, token in enumerate(self.tokens):
                if number == self.fail_after:
                    raise ProviderError("The model stopped answering.")
                await asyncio.sleep(self.delay)
                yield token
        finally:
            self.closed += 1


class Event(NamedTuple):
    name: str
    data: str


def parse_events(body: str) -> list[Event]:
    """Split a text/event-stream body into its events, data lines joined as a browser does."""
    events = []
    for block in body.split("\n\n"):
        if not block:
            continue
        name, data = "message", []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        events.append(Event(name, "\n".join(data)))
    return events


def pending_answer(owner: User, question: str = "Which talks cover testing?") -> Message:
    """A conversation whose question waits for its answer, as ``ask`` stores them."""
    chat = Conversation.objects.create(owner=owner, title=question[:60])
    Message.objects.create(conversation=chat, role=Message.Role.USER, content=question)
    return Message.objects.create(
        conversation=chat,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        stream_token=new_stream_token(),
    )


class TwoUsersTestCase(TestCase):
    """Ada, who asks, and Grace, who may not see Ada's conversations."""

    user: User
    other: User

    @classmethod
    def setUpTestData(cls) -> None:
        cls.user = User.objects.create_user("ada", password="unused")
        cls.other = User.objects.create_user("grace", password="unused")
