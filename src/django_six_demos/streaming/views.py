"""The streaming chat: ask (a CSRF-protected POST), then read the answer from a one-time SSE URL.

https://docs.djangoproject.com/en/6.0/topics/async/ . ``stream`` is an async view whose response
iterates an async generator under ASGI, and a sync one driving it under WSGI.
"""

from __future__ import annotations

from typing import Any, Final

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url, reswap, retarget

from django_six_demos import accounts, limits
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest
from django_six_demos.streaming.answers import answer_events, drive, request_stop
from django_six_demos.streaming.forms import MAX_PROMPT_LENGTH, AskForm
from django_six_demos.streaming.models import Conversation, Message, new_stream_token
from django_six_demos.streaming.providers import ChatMessage, get_provider
from django_six_demos.streaming.settings import SETTING
from django_six_demos.streaming.story import AsyncStoryView

__all__ = ["AsyncStoryView", "ask", "conversation", "index", "stop", "stream"]

INDEX: Final = "django_six_demos/streaming/index.html"
# Each question runs the model once: per user and per address, like every side effect.
ASK_RATE: Final = limits.Rate(per_user="30/h", per_ip="100/h")
STOP_RATE: Final = limits.Rate(per_user="30/h", per_ip="100/h")
# A user's newest conversations are kept, older ones deleted with their messages.
MAX_CONVERSATIONS_PER_USER: Final = 20
# Questions and answers together; then the form asks for a new conversation.
MAX_MESSAGES_PER_CONVERSATION: Final = 40
TITLE_LENGTH: Final = 60


def served_by(request: HttpRequest) -> str:
    """ "ASGI" or "WSGI": which handler made this request, so which iterator streams."""
    return "ASGI" if isinstance(request, ASGIRequest) else "WSGI"


def _page_context(request: HttpRequest, chat: Conversation | None) -> dict[str, Any]:
    user = request.user
    provider = get_provider()
    conversations = (
        Conversation.objects.filter(owner=user)[:MAX_CONVERSATIONS_PER_USER]
        if user.is_authenticated
        else Conversation.objects.none()
    )
    return {
        **demo_for(__name__).context(),
        "provider": provider,
        "setting_name": SETTING,
        "protocol": served_by(request),
        "conversations": conversations,
        "chat": chat,
        "chat_messages": list(chat.messages.all()) if chat is not None else [],
        "form": AskForm(initial={"conversation": chat.pk if chat else None}),
        "sign_in_url": accounts.sign_in_url(request.get_full_path()),
        "ask_rate": ASK_RATE,
        "max_prompt_length": MAX_PROMPT_LENGTH,
        "max_conversations": MAX_CONVERSATIONS_PER_USER,
        "max_messages": MAX_MESSAGES_PER_CONVERSATION,
    }


@require_GET
@never_cache
def index(request: HttpRequest) -> TemplateResponse:
    """The chat page: a new conversation, the visitor's earlier ones, which model answers."""
    return TemplateResponse(request, INDEX, _page_context(request, None))


@require_GET
@never_cache
def conversation(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One conversation, its owner's only; an answer still pending connects to its stream."""
    if not request.user.is_authenticated:
        return limits.sign_in(request)
    chat = get_object_or_404(Conversation, pk=pk, owner=request.user)
    return TemplateResponse(request, INDEX, _page_context(request, chat))


def _refuse_form(
    request: HtmxHttpRequest, form: AskForm, chat: Conversation | None
) -> HttpResponse:
    """422 with the form's errors: for htmx the form alone, swapped in place of the form."""
    if request.htmx:
        context = {"form": form, "chat": chat, "max_prompt_length": MAX_PROMPT_LENGTH}
        response = TemplateResponse(request, f"{INDEX}#ask_form", context, status=422)
        retarget(response, "#ask-form")
        reswap(response, "outerHTML")
        return response
    context = _page_context(request, chat)
    context["form"] = form
    return TemplateResponse(request, INDEX, context, status=422)


def _ask(user: Any, form: AskForm) -> tuple[Conversation, Message, Message] | str:
    """Store the question and a pending answer, in one transaction; or say why not."""
    prompt: str = form.cleaned_data["prompt"]
    chat_pk: int | None = form.cleaned_data["conversation"]
    with transaction.atomic():
        if chat_pk is None:
            title = Truncator(" ".join(prompt.split())).chars(TITLE_LENGTH)
            chat = Conversation.objects.create(owner=user, title=title)
            kept = Conversation.objects.filter(owner=user).values("pk")[:MAX_CONVERSATIONS_PER_USER]
            Conversation.objects.filter(owner=user).exclude(pk__in=kept).delete()
        else:
            found = Conversation.objects.filter(pk=chat_pk, owner=user).first()
            if found is None:
                raise Http404("No such conversation.")
            chat = found
            if chat.messages.count() + 2 > MAX_MESSAGES_PER_CONVERSATION:
                return (
                    f"This conversation has {MAX_MESSAGES_PER_CONVERSATION} messages, the most "
                    "a conversation keeps: start a new one."
                )
        question = Message.objects.create(conversation=chat, role=Message.Role.USER, content=prompt)
        answer = Message.objects.create(
            conversation=chat,
            role=Message.Role.ASSISTANT,
            status=Message.Status.PENDING,
            stream_token=new_stream_token(),
            provider=get_provider().name,
        )
    return chat, question, answer


@require_POST
@limits.side_effect(group="streaming-ask", rate=ASK_RATE, action="ask the model")
def ask(request: HtmxHttpRequest) -> HttpResponseBase:
    """Store a question and its pending answer; htmx gets both, the answer connecting its stream."""
    form = AskForm(request.POST)
    if not form.is_valid():
        chat_pk = form.cleaned_data.get("conversation")
        chat = (
            Conversation.objects.filter(pk=chat_pk, owner_id=request.user.pk).first()
            if chat_pk
            else None
        )
        return _refuse_form(request, form, chat)
    result = _ask(request.user, form)
    if isinstance(result, str):
        form.add_error(None, result)
        return _refuse_form(request, form, None)
    chat, question, answer = result
    url = reverse("django_six_demos_streaming:conversation", args=[chat.pk])
    if not request.htmx:
        return HttpResponseRedirect(url)
    context = {
        "question": question,
        "answer": answer,
        "chat": chat,
        # A fresh form for the next question in this conversation (swapped out of band).
        "form": AskForm(initial={"conversation": chat.pk}),
        "max_prompt_length": MAX_PROMPT_LENGTH,
        "oob": True,
    }
    response = TemplateResponse(request, f"{INDEX}#exchange", context)
    # The address bar follows: a reload shows this conversation.
    return push_url(response, url)


def _history(answer: Message) -> list[ChatMessage]:
    """The conversation up to this answer, as the model reads it: no failed or empty turns."""
    earlier = Message.objects.filter(conversation_id=answer.conversation_id, pk__lt=answer.pk)
    earlier = earlier.exclude(status=Message.Status.FAILED).exclude(content="")
    return [ChatMessage(*turn) for turn in earlier.order_by("pk").values_list("role", "content")]


def _claim(request: HttpRequest, token: str) -> tuple[Message, list[ChatMessage]] | None | str:
    """Claim the answer behind ``token`` for its owner and read its history; or None (not
    found), or a message saying the stream was read already.

    Sync, called once through ``sync_to_async``: the user, the claim and the history in one
    trip to the request's thread, not one per query. ``request.user`` is
    AuthenticationMiddleware's, authenticated as ``auser()`` would (the session's hash too).
    """
    user = request.user
    if not user.is_authenticated:
        return None
    answer = Message.objects.filter(stream_token=token, conversation__owner=user).first()
    if answer is None:
        return None
    # One UPDATE claims it: of two requests at once, only one sees a row change.
    claimed = Message.objects.filter(pk=answer.pk, status=Message.Status.PENDING).update(
        status=Message.Status.STREAMING
    )
    if not claimed:
        return "This answer's stream was already read: reload the page to see the answer.\n"
    answer.status = Message.Status.STREAMING
    return answer, _history(answer)


@require_GET
async def stream(request: HttpRequest, token: str) -> HttpResponseBase:
    """The answer's server-sent events, once: a second request (a reconnect) gets 410 Gone."""
    claim = await sync_to_async(_claim)(request, token)
    if claim is None:
        raise Http404("No such stream.")
    if isinstance(claim, str):
        return HttpResponse(claim, status=410, content_type="text/plain; charset=utf-8")
    answer, history = claim
    events = answer_events(answer, history, get_provider())
    # Django consumes an async iterator under ASGI and a sync one under WSGI; the other kind
    # would be read to its end first (with a warning), and nothing would stream.
    content = events if isinstance(request, ASGIRequest) else drive(events)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"  # every event now, no cache in between
    response["X-Accel-Buffering"] = "no"  # nor nginx's buffer
    return response


@require_POST
@limits.side_effect(group="streaming-stop", rate=STOP_RATE, action="stop answers")
def stop(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Ask an open answer's stream to end; it keeps what came so far, marked interrupted."""
    answer = get_object_or_404(
        Message, pk=pk, role=Message.Role.ASSISTANT, conversation__owner=request.user
    )
    if answer.is_open:
        request_stop(answer.pk)
        text = "Stopping…"
    else:
        text = f"This answer has already ended ({answer.get_status_display().lower()})."
    if not request.htmx:
        return HttpResponseRedirect(
            reverse("django_six_demos_streaming:conversation", args=[answer.conversation_id])
        )
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
