"""The guard every side-effect view goes through (django_six_demos.limits)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, TestCase, override_settings
from django_htmx.middleware import HtmxMiddleware

from django_six_demos import limits

RATE = limits.Rate(per_user="2/m", per_ip="3/m")
calls: list[str] = []


@limits.side_effect(group="test-limits", rate=RATE, action="ring the bell")
def ring(request: HttpRequest) -> HttpResponse:
    calls.append(request.user.get_username())
    return HttpResponse("rung")


@limits.side_effect(
    group="test-limits-staff", rate=RATE, action="ring the big bell", staff_only=True
)
def ring_big(request: HttpRequest) -> HttpResponse:
    calls.append(request.user.get_username())
    return HttpResponse("rung")


class SideEffectTests(TestCase):
    ada: User
    grace: User
    staff: User

    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada")
        cls.grace = User.objects.create_user("grace")
        cls.staff = User.objects.create_user("staff", is_staff=True)

    def setUp(self):
        calls.clear()
        self.factory = RequestFactory()

    def post(self, view, user, *, ip="203.0.113.5", htmx=False, referer=None):
        headers = {"HX-Request": "true"} if htmx else {}
        if referer:
            headers["Referer"] = referer
        request = self.factory.post("/bell/", REMOTE_ADDR=ip, headers=headers)
        SessionMiddleware(lambda r: HttpResponse()).process_request(request)
        request.user = user
        HtmxMiddleware(lambda r: HttpResponse())(request)
        response = view(request)
        if hasattr(response, "render"):
            response.render()
        return response

    def test_anonymous_visitors_are_sent_to_sign_in_and_back_to_the_form(self):
        response = self.post(ring, AnonymousUser(), referer="http://testserver/demos/tasks/")
        assert response.status_code == 302
        assert response["Location"].startswith("/demos/sign-in/?next=")
        assert "demos/tasks/" in response["Location"]
        assert calls == []

    def test_a_foreign_referer_is_not_a_destination_after_sign_in(self):
        response = self.post(ring, AnonymousUser(), referer="https://evil.example/")
        assert "evil.example" not in response["Location"]

    def test_htmx_requests_navigate_the_whole_page_to_sign_in(self):
        response = self.post(ring, AnonymousUser(), htmx=True)
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith("/demos/sign-in/")
        assert calls == []

    def test_past_the_per_user_limit_a_friendly_429(self):
        assert [self.post(ring, self.ada).status_code for _ in range(2)] == [200, 200]
        response = self.post(ring, self.ada)
        assert response.status_code == 429
        assert int(response["Retry-After"]) >= 1
        assert "Too many requests to ring the bell" in response.content.decode()
        assert calls == ["ada", "ada"]
        # Another user is counted apart (from another address).
        assert self.post(ring, self.grace, ip="198.51.100.7").status_code == 200

    def test_one_address_is_limited_across_users(self):
        statuses = [
            self.post(ring, user).status_code for user in (self.ada, self.grace, self.staff)
        ]
        assert statuses == [200, 200, 200]
        assert self.post(ring, self.grace).status_code == 429

    def test_an_htmx_refusal_lands_in_the_notice_region(self):
        for _ in range(2):
            self.post(ring, self.ada, htmx=True)
        response = self.post(ring, self.ada, htmx=True)
        assert response.status_code == 429
        assert response["HX-Retarget"] == limits.NOTICE_TARGET
        assert response["HX-Reswap"] == "innerHTML"
        body = response.content.decode()
        assert 'role="alert"' in body
        assert "<html" not in body

    def test_staff_only_refuses_other_users_with_403(self):
        response = self.post(ring_big, self.ada)
        assert response.status_code == 403
        assert "Only staff may ring the big bell." in response.content.decode()
        assert self.post(ring_big, self.staff).status_code == 200
        assert calls == ["staff"]

    @override_settings(RATELIMIT_ENABLE=False)
    def test_limits_can_be_switched_off_by_django_ratelimit_setting(self):
        assert {self.post(ring, self.ada).status_code for _ in range(5)} == {200}


def test_rates_are_said_in_words():
    assert limits.in_words("10/h") == "10 an hour"
    assert limits.in_words("5/m") == "5 a minute"
    assert limits.in_words("5/10m") == "5/10m"
    assert str(limits.Rate("3/h", "10/d")) == "3 an hour per user, 10 a day per address"
