"""Forms of the CRUD demo: one per audience (neapolitan issue #18).

Staff also choose a talk's speaker and status. The limits are the form's, so that
bad input is a form error before the database sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django import forms

from django_six_demos.conference.models import Speaker, Talk

TITLE_MAX_LENGTH: Final = 200
ABSTRACT_MAX_LENGTH: Final = 5000
BIO_MAX_LENGTH: Final = 2000

if TYPE_CHECKING:
    # ModelForm is generic only in django-stubs, not at runtime.
    TalkModelForm = forms.ModelForm[Talk]
    SpeakerModelForm = forms.ModelForm[Speaker]
else:
    TalkModelForm = SpeakerModelForm = forms.ModelForm


class TalkForm(TalkModelForm):
    """A talk as its speaker writes it: no speaker (their own) and no status."""

    title = forms.CharField(min_length=3, max_length=TITLE_MAX_LENGTH)
    abstract = forms.CharField(
        min_length=20,
        max_length=ABSTRACT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # The form field's bounds also reach the HTML input.
    duration = forms.IntegerField(min_value=5, max_value=180, help_text="Length in minutes.")

    class Meta:
        model = Talk
        fields = ["title", "abstract", "track", "level", "duration"]


class StaffTalkForm(TalkForm):
    """A talk as staff edit it: any speaker, and the programme committee's status."""

    class Meta(TalkForm.Meta):
        fields = ["title", "speaker", "abstract", "track", "level", "duration", "status"]


class SpeakerForm(SpeakerModelForm):
    """A speaker's public profile."""

    name = forms.CharField(min_length=2, max_length=100)
    bio = forms.CharField(
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Speaker
        fields = ["name", "company", "bio"]
