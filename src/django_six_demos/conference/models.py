"""Speakers and talks: the conference every demo works on."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Speaker(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    company = models.CharField(max_length=100, blank=True)
    bio = models.TextField(blank=True)
    # A signed-in speaker edits only their own talks.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="speaker",
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Talk(models.Model):
    class Track(models.TextChoices):
        WEB = "web", "Web & htmx"
        SECURITY = "security", "Security"
        DATA = "data", "Databases & ORM"
        OPERATIONS = "ops", "Deployment & operations"
        COMMUNITY = "community", "Community"

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        WAITLISTED = "waitlisted", "Waitlisted"
        REJECTED = "rejected", "Rejected"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="talks")
    abstract = models.TextField()
    track = models.CharField(max_length=20, choices=Track)
    level = models.CharField(max_length=20, choices=Level)
    status = models.CharField(max_length=20, choices=Status, default=Status.SUBMITTED)
    duration = models.PositiveSmallIntegerField(
        help_text="Length in minutes.",
        validators=[MinValueValidator(5), MaxValueValidator(180)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["track", "level", "status"]),
            # Lists sort by title: without it SQLite sorts each page in a temporary B-tree.
            models.Index(fields=["title", "id"]),
        ]

    def __str__(self) -> str:
        return self.title


class SeededUser(models.Model):
    """A user that ``demos_seed`` created: the only kind it may update later."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        # Nothing reads it from the user's side; keep User's namespace clean.
        related_name="+",
    )

    class Meta:
        verbose_name = "user created by demos_seed"
        verbose_name_plural = "users created by demos_seed"

    def __str__(self) -> str:
        return str(self.user)
