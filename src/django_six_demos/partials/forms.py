"""Forms of the template partials demo: the explorer's filters and the title editor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from django import forms

from django_six_demos.conference.models import Talk

# Sort keys the explorer accepts, mapped to ORM orderings: an allowlist, so a
# request can never order by an arbitrary field.
SORTS: Final[dict[str, tuple[str, ...]]] = {
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "speaker": ("speaker__name", "title", "pk"),
    "duration": ("duration", "title", "pk"),
    "-duration": ("-duration", "title", "pk"),
}
SORT_LABELS: Final = {
    "title": "Title A-Z",
    "-title": "Title Z-A",
    "speaker": "Speaker",
    "duration": "Shortest first",
    "-duration": "Longest first",
}


class ExplorerForm(forms.Form):
    """The explorer's search, filters and sort order, all optional."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Title, abstract or speaker"}
        ),
    )
    track = forms.ChoiceField(required=False, choices=[("", "All tracks"), *Talk.Track.choices])
    level = forms.ChoiceField(required=False, choices=[("", "All levels"), *Talk.Level.choices])
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()))

    def filters(self) -> dict[str, Any]:
        """Return the valid values only: a bad field is reported, not applied."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


if TYPE_CHECKING:
    # ModelForm is generic only in django-stubs, not at runtime.
    TalkModelForm = forms.ModelForm[Talk]
else:
    TalkModelForm = forms.ModelForm


class TitleForm(TalkModelForm):
    class Meta:
        model = Talk
        fields = ["title"]
