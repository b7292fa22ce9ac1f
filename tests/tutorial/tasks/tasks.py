"""Chapter 3's first code: a background task with Django's own tasks framework."""

from __future__ import annotations

from django.core.mail import send_mail
from django.tasks import task


@task
def send_welcome(email: str) -> int:
    """Send one welcome email; the number sent becomes the result's return value."""
    return send_mail("Welcome", "Thanks for signing up.", None, [email])
