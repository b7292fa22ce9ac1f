"""Slugs for conference rows: unique, readable, made from a title or a name.

Every room that stores a talk or a speaker names it the same way.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils.text import slugify

ModelT = TypeVar("ModelT", bound=models.Model)


def unique_slug(model: type[ModelT], text: str, *, fallback: str) -> str:
    """Return a slug for ``text`` that no ``model`` row uses yet (``a-title``, ``a-title-2``...).

    A text without ASCII letters or digits gets ``fallback``.
    """
    field = model._meta.get_field("slug")
    assert isinstance(field, models.SlugField) and field.max_length
    # Room for a "-<number>" suffix within the column's length.
    base = slugify(text)[: field.max_length - 8].strip("-") or fallback
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug
