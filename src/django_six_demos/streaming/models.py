"""What the streaming room stores: conversations, and each message with how its stream ended.

An assistant message starts ``pending`` with a one-time ``stream_token``; the stream view claims
it (``streaming``) and saves it ``complete``, ``interrupted`` or ``failed``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.safestring import SafeString, mark_safe

from django_six_demos.streaming.markdown import render_markdown


def new_stream_token() -> str:
    """A random, unguessable token: the stream URL of one answer."""
    return secrets.token_urlsafe(24)


class Conversation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="demo_conversations",
    )
    title = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "You"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        STREAMING = "streaming", "Streaming"
        COMPLETE = "complete", "Complete"
        INTERRUPTED = "interrupted", "Interrupted"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=10, choices=Role)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.COMPLETE)
    # Only assistant messages have one; the stream view refuses it once claimed.
    stream_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    provider = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.content[:40]}"

    @property
    def is_open(self) -> bool:
        """Whether the answer is still to come (pending) or coming (streaming)."""
        return self.status in (self.Status.PENDING, self.Status.STREAMING)

    @property
    def html(self) -> SafeString:
        """The answer as HTML: Markdown rendered with raw HTML off, then sanitized (nh3)."""
        return mark_safe(render_markdown(self.content))
