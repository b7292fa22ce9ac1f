"""Stored answers: one-time tokens, and Markdown shown as sanitized HTML, never as stored."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from django_six_demos.streaming.models import Conversation, Message, new_stream_token
from tests.streaming.helpers import pending_answer


def test_stream_tokens_are_long_random_and_url_safe():
    tokens = {new_stream_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(
        len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum() for token in tokens
    )


@pytest.mark.django_db
def test_the_answer_html_is_markdown_without_raw_html():
    message = Message(content="**Talks**\n\n<script>alert(1)</script> [x](javascript:alert(1))")

    html = str(message.html)

    assert "<strong>Talks</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html


@pytest.mark.django_db
def test_deleting_a_conversation_deletes_its_messages():
    answer = pending_answer(User.objects.create_user("ada"))

    Conversation.objects.all().delete()

    assert not Message.objects.filter(pk=answer.pk).exists()


@pytest.mark.parametrize(
    ("status", "is_open"), [(s, s in ("pending", "streaming")) for s in Message.Status]
)
def test_only_pending_and_streaming_answers_are_open(status, is_open):
    assert Message(status=status).is_open is is_open
