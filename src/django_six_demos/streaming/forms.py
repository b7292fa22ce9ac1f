"""The streaming room's one form: a question, checked before anything is stored.

Django's ``CharField`` already refuses NUL characters (``ProhibitNullCharactersValidator``);
the length limit is the form's, so a 10,000-character paste is a form error, not a row.
"""

from __future__ import annotations

from typing import Final

from django import forms

MAX_PROMPT_LENGTH: Final = 2000


class AskForm(forms.Form):
    prompt = forms.CharField(
        label="Your question",
        max_length=MAX_PROMPT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            f"About the conference: “which talks cover testing?”, “when is Ada speaking?”. "
            f"At most {MAX_PROMPT_LENGTH:,} characters."
        ),
        error_messages={"required": "Type a question first."},
    )
    # The conversation to continue; empty starts a new one. The view checks its owner.
    conversation = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
