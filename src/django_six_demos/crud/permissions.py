"""Who may do what in the CRUD demo: neapolitan's ``CRUDView`` checks nothing itself.

neapolitan leaves permissions to the project (neapolitan issues #5 and #36).
``RolePermissionMixin`` adds them per role, in front of the handlers:

- anonymous visitors may list and read; any other role sends them to sign in;
- each view says who may create, and which rows a user may read and change,
  as querysets: a row outside the readable queryset is a 404, a row the user
  may read but not change is a 403;
- ``HX-Request`` only chooses how an answer is shaped, never whether it is
  allowed: htmx requests pass the same checks;
- behind those checks, saves and deletes are rate-limited per user and per
  address (``over_the_write_limit()``, through ``django_six_demos.limits``).

The rules of the demo itself (a speaker's own talks, staff do everything) are
every room's: ``django_six_demos.conference.access``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails
from neapolitan.views import Role  # type: ignore[import-untyped]

from django_six_demos import limits

FORBIDDEN_TEMPLATE: Final = "django_six_demos/crud/forbidden.html"
# Roles that change a row: the object comes from the writable queryset.
CHANGE_ROLES: Final = frozenset({Role.UPDATE, Role.DELETE})
# Rows saved or deleted (talks and speakers together), per signed-in user and
# per address, as django-ratelimit rates.
WRITE_RATE: Final = limits.Rate(per_user="10/m", per_ip="100/h")
WRITE_GROUP: Final = "crud-write"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class RolePermissionMixin:
    """Per-role permissions for a neapolitan ``CRUDView``; put it first in the bases.

    Subclasses implement ``may_create()``, ``readable_queryset()`` and
    ``writable_queryset()``; ``may_change(obj)`` answers the same question
    as the writable queryset for a row already loaded (the templates use it to
    show only the buttons that will work).
    """

    # Roles anonymous visitors may use.
    public_roles: ClassVar[frozenset[Role]] = frozenset({Role.LIST, Role.DETAIL})
    forbidden_message: ClassVar[str] = "You may not change this."

    request: HtmxHttpRequest
    role: Role
    kwargs: dict[str, Any]
    lookup_field: str
    lookup_url_kwarg: str | None
    # The role's handlers, which neapolitan binds to the HTTP methods.
    get: Any
    head: Any

    def may_create(self) -> bool:
        raise NotImplementedError

    def readable_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def writable_queryset(self) -> QuerySet[Any]:
        """Return the rows the user may change in ``self.role`` (update or delete)."""
        raise NotImplementedError

    def may_change(self, obj: Model, role: Role = Role.UPDATE) -> bool:
        raise NotImplementedError

    def dispatch(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # neapolitan binds the role's handlers after View.setup(), which is
        # where Django would map HEAD to GET: do it here.
        if hasattr(self, "get") and not hasattr(self, "head"):
            self.head = self.get
        response: HttpResponseBase
        if self.role not in self.public_roles and not request.user.is_authenticated:
            response = self.sign_in()
        elif self.role == Role.CREATE and not self.may_create():
            response = self.forbidden(self.forbidden_message)
        else:
            try:
                response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            except PermissionDenied as error:
                response = self.forbidden(str(error) or self.forbidden_message)
        # The htmx and plain answers differ (a partial, a client redirect): a
        # cache must keep them apart.
        patch_vary_headers(response, ("HX-Request",))
        return response

    def get_queryset(self) -> QuerySet[Any]:
        if self.role in CHANGE_ROLES:
            return self.writable_queryset()
        return self.readable_queryset()

    def get_object(self) -> Model:
        try:
            obj: Model = super().get_object()  # type: ignore[misc]
        except Http404:
            # Readable but not writable: say no (403) rather than "not found".
            # Not even readable: a 404, which does not reveal that it exists.
            key = self.lookup_url_kwarg or self.lookup_field
            if (
                self.role in CHANGE_ROLES
                and self.readable_queryset()
                .filter(**{self.lookup_field: self.kwargs[key]})
                .exists()
            ):
                raise PermissionDenied(self.forbidden_message) from None
            raise
        return obj

    def over_the_write_limit(self) -> HttpResponseBase | None:
        """Count one save or delete; past either limit, return the 429 to answer instead.

        Called by the handlers once the role checks and the form have passed,
        so that refusals and forms with errors are not counted.
        """
        waits = [
            wait
            for key, rate in (("user", WRITE_RATE.per_user), ("ip", WRITE_RATE.per_ip))
            if (wait := limits.limited_for(self.request, WRITE_GROUP, key, rate)) is not None
        ]
        if not waits:
            return None
        seconds = max(waits)
        return limits.refused(
            self.request,
            f"Too many changes in a short time: try again in {seconds} s.",
            status=429,
            retry_after=seconds,
        )

    def sign_in(self) -> HttpResponseBase:
        """Send an anonymous visitor to sign in, then back here."""
        return limits.sign_in(self.request, next_path=self.request.get_full_path())

    def forbidden(self, message: str) -> TemplateResponse:
        return TemplateResponse(self.request, FORBIDDEN_TEMPLATE, {"message": message}, status=403)
