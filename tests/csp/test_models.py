from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from django_six_demos.csp.models import CspReport

User = get_user_model()


def make_reports(count, **fields):
    defaults = {"format": CspReport.Format.REPORT_URI, "effective_directive": "img-src"}
    return [
        CspReport.objects.create(**{**defaults, "sample": str(i), **fields}) for i in range(count)
    ]


class FittedTests(SimpleTestCase):
    def test_every_text_field_is_cut_to_its_max_length(self):
        limits = CspReport.text_limits()

        report = CspReport.fitted(**{name: "x" * (limit + 50) for name, limit in limits.items()})

        for name, limit in limits.items():
            assert len(getattr(report, name)) == limit, name

    def test_text_limits_cover_the_char_fields(self):
        assert CspReport.text_limits() == {
            "format": 16,
            "document_uri": 2048,
            "effective_directive": 64,
            "violated_directive": 512,
            "blocked_uri": 2048,
            "disposition": 8,
            "source_file": 2048,
            "sample": 256,
            "user_agent": 512,
            "raw": 4096,
        }

    def test_other_values_pass_unchanged(self):
        report = CspReport.fitted(line_number=7, status_code=None, sample="short")

        assert (report.line_number, report.status_code, report.sample) == (7, None, "short")

    def test_str_names_directive_blocked_url_and_page(self):
        report = CspReport(
            effective_directive="img-src", blocked_uri="data", document_uri="https://x.example/"
        )

        assert str(report) == "img-src blocked data on https://x.example/"
        assert str(CspReport()) == "? blocked inline on ?"


class KeepNewestTests(TestCase):
    def test_deletes_all_but_the_newest(self):
        make_reports(5)

        assert CspReport.objects.keep_newest(2) == 3
        assert list(CspReport.objects.values_list("sample", flat=True)) == ["4", "3"]

    def test_nothing_to_delete_under_the_cap(self):
        make_reports(2)

        assert CspReport.objects.keep_newest(2) == 0
        assert CspReport.objects.keep_newest(10) == 0
        assert CspReport.objects.count() == 2

    def test_newest_first_by_default(self):
        make_reports(3)

        newest = CspReport.objects.first()
        assert newest is not None
        assert newest.sample == "2"


class AdminTests(TestCase):
    admin: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.admin = User.objects.create_superuser("admin", "admin@example.com", "x")
        make_reports(2, document_uri="https://demos.example/partials/", disposition="enforce")
        make_reports(1, document_uri="https://demos.example/csp/", disposition="report")

    def setUp(self):
        self.client.force_login(self.admin)

    def test_list_filters_by_directive_and_disposition(self):
        url = reverse("admin:django_six_demos_csp_cspreport_changelist")

        response = self.client.get(url, {"disposition": "report"})

        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
        filters = [spec.title for spec in response.context["cl"].filter_specs]
        assert filters == ["directive", "disposition", "format"]

    def test_search_by_page(self):
        url = reverse("admin:django_six_demos_csp_cspreport_changelist")

        response = self.client.get(url, {"q": "partials"})

        assert response.context["cl"].result_count == 2

    def test_reports_are_read_only(self):
        report = CspReport.objects.first()
        assert report is not None
        change = reverse("admin:django_six_demos_csp_cspreport_change", args=[report.pk])

        assert (
            self.client.get(reverse("admin:django_six_demos_csp_cspreport_add")).status_code == 403
        )
        response = self.client.get(change)
        assert response.status_code == 200
        assert not response.context["has_change_permission"]
        self.client.post(change, {"effective_directive": "changed"})
        report.refresh_from_db()
        assert report.effective_directive == "img-src"

    def test_reports_can_be_deleted(self):
        report = CspReport.objects.first()
        assert report is not None
        delete = reverse("admin:django_six_demos_csp_cspreport_delete", args=[report.pk])

        assert self.client.post(delete, {"post": "yes"}).status_code == 302
        assert not CspReport.objects.filter(pk=report.pk).exists()
