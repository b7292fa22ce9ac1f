"""Template tags shared by every demo: ``{% load django_six_demos %}``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.apps import apps
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.templatetags.static import static

from django_six_demos import compat, frame
from django_six_demos.demo import DemoConfig, docs_url

register = template.Library()


@register.simple_tag
def django_version() -> str:
    """Render the running Django release series, e.g. ``6.1``, never the patch release."""
    return compat.DJANGO_LINE


@register.simple_tag
def demo_docs_url(page: str = "") -> str:
    """``{% demo_docs_url "tutorial/index" %}``: a page of the tutorial's docs, or their root."""
    return docs_url(page)


@register.simple_tag(takes_context=True)
def demo_messages(context: template.Context) -> Iterable[Message]:
    """``{% demo_messages as messages %}``: the request's messages, shown once.

    Read from the request, so a project without the messages context processor still shows them.
    """
    request = context.get("request")
    return messages.get_messages(request) if request is not None else []


@register.simple_tag
def demo_frame_enabled() -> bool:
    """``{% demo_frame_enabled as frame_on %}``: whether pages show the demo frame."""
    return frame.enabled()


def serving_demo(context: template.Context) -> DemoConfig | None:
    """Return the demo whose view serves this page, or None (the home page, sign-in)."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match is None:
        return None
    view = getattr(match.func, "view_class", match.func)
    config = apps.get_containing_app_config(view.__module__)
    return config if isinstance(config, DemoConfig) else None


@register.simple_tag(takes_context=True)
def demo_stylesheet(context: template.Context) -> str:
    """``{% demo_stylesheet as url %}``: the stylesheet URL of the demo serving this page, or ""."""
    config = serving_demo(context)
    path = config.stylesheet() if config is not None else None
    return static(path) if path else ""


SITE_DESCRIPTION = (
    "Django 6's new features and the packages that complete them, each running live "
    "under a strict Content Security Policy."
)


@register.simple_tag(takes_context=True)
def demo_description(context: template.Context) -> str:
    """``{% demo_description %}``: the page's meta description, from its demo's summary.

    The demo is the context's ``room`` or, failing that, the demo whose view serves the page;
    a page outside every demo gets the site's description. Escaped like any simple tag.
    """
    room = context.get("room")
    config = room if isinstance(room, DemoConfig) else serving_demo(context)
    if config is None:
        return SITE_DESCRIPTION
    return f"{config.title} demo: {config.summary}"


@register.inclusion_tag("django_six_demos/frame/source.html", takes_context=True)
def demo_source(context: template.Context) -> dict[str, Any]:
    """Render the source panel: the view and the page template, read from disk now."""
    sources = []
    request = context.get("request")
    view = frame.view_for(request) if request is not None else None
    if view is not None and (source := frame.view_source(view)) is not None:
        sources.append(source)
    # context.template is the template being rendered at the top (the page,
    # not the base it extends).
    if (source := frame.template_source(context.template)) is not None:
        sources.append(source)
    return {"sources": sources}
