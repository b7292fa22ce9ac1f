"""Who may do what in the CRUD demo: neapolitan's ``CRUDView`` checks no permissions itself.

``RolePermissionMixin`` checks each role before its handler (neapolitan issues #5 and #36);
the rules themselves are every room's, in ``django_six_demos.conference.access``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from neapolitan.views import Role  # type: ignore[import-untyped]

from django_six_demos import limits
from django_six_demos.htmx import HtmxHttpRequest

FORBIDDEN_TEMPLATE: Final = "django_six_demos/crud/forbidden.html"
# Roles that change a row: the object comes from the writable queryset.
CHANGE_ROLES: Final = frozenset({Role.UPDATE, Role.DELETE})
# Rows saved or deleted (talks and speakers together), per signed-in user and per address.
WRITE_RATE: Final = limits.Rate(per_user="10/m", per_ip="100/h")
WRITE_GROUP: Final = "crud-write"


class RolePermissionMixin:
    """Per-role permissions for a neapolitan ``CRUDView``; put it first in the bases.

    Subclasses give ``may_create()``, ``may_change()`` and the readable and writable querysets.
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
        # neapolitan binds the handlers after View.setup(), where Django maps HEAD to GET.
        if hasattr(self, "get") and not hasattr(self, "head"):
            self.head = self.get
        response: HttpResponseBase
        if self.role not in self.public_roles and not request.user.is_authenticated:
            response = limits.sign_in(request, next_path=request.get_full_path())
        elif self.role == Role.CREATE and not self.may_create():
            response = self.forbidden(self.forbidden_message)
        else:
            try:
                response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            except PermissionDenied as error:
                response = self.forbidden(str(error) or self.forbidden_message)
        # htmx gets other answers (a partial, a client redirect), a history restore the
        # whole page: caches must keep them apart.
        patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
        return response

    def get_queryset(self) -> QuerySet[Any]:
        if self.role in CHANGE_ROLES:
            return self.writable_queryset()
        return self.readable_queryset()

    def get_object(self) -> Model:
        try:
            obj: Model = super().get_object()  # type: ignore[misc]
        except Http404:
            # Readable but not writable: a 403. Not readable: a 404, which hides that it exists.
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
        """Count one save or delete (after the checks and the form passed); past a limit, a 429."""
        return limits.over_limit(self.request, WRITE_GROUP, WRITE_RATE, "changes in a short time")

    def forbidden(self, message: str) -> TemplateResponse:
        return TemplateResponse(self.request, FORBIDDEN_TEMPLATE, {"message": message}, status=403)
