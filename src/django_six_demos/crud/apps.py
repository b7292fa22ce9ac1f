"""The Neapolitan CRUD demo: one ``CRUDView`` per model, with permissions and filters."""

from __future__ import annotations

from django_six_demos.demo import DemoConfig, Source, package


class CrudDemoConfig(DemoConfig):
    name = "django_six_demos.crud"
    # An explicit label: the default ("crud") could clash with other apps.
    label = "django_six_demos_crud"
    verbose_name = "Neapolitan CRUD views demo"
    title = "Neapolitan CRUD views"
    summary = (
        "List, detail, create, update and delete from one CRUDView, with "
        "permissions, filtering and htmx partials."
    )
    url_prefix = "crud/"
    # neapolitan reverses bare URL names: this demo's URLs have no namespace.
    index_url_name = "demos-crud-index"
    order = 5
    chapter = "tutorial/05-crud"
    # Not a Django 6 feature: neapolitan builds on Django's class-based views.
    django_docs = "https://docs.djangoproject.com/en/6.0/topics/class-based-views/generic-editing/"
    django_docs_title = "Form handling with class-based views"
    package_docs = {
        "neapolitan": "https://noumenal.es/neapolitan/",
        "django-filter": "https://django-filter.readthedocs.io/en/main/",
    }
    extra_apps = ("neapolitan",)
    requires = {
        "neapolitan": "pip install neapolitan",
        "django_filters": "pip install django-filter",
    }

    def sources(self) -> list[Source]:
        return [package("CRUD views", "neapolitan"), package("Filtering", "django-filter")]
