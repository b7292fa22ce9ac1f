"""The contention lab's form: a run small enough for a shared demo machine."""

from __future__ import annotations

from django import forms

# Bounded: each of three variants starts this many processes for this long.
WRITER_CHOICES = [(2, "2"), (4, "4"), (8, "8")]
SECONDS_CHOICES = [(1, "1 s"), (2, "2 s"), (3, "3 s")]
READER_CHOICES = [(0, "none"), (1, "1"), (2, "2")]


class ContentionLabForm(forms.Form):
    writers = forms.TypedChoiceField(
        choices=WRITER_CHOICES, coerce=int, initial=4, label="Writer processes"
    )
    readers = forms.TypedChoiceField(
        choices=READER_CHOICES, coerce=int, initial=0, label="Reader processes"
    )
    seconds = forms.TypedChoiceField(
        choices=SECONDS_CHOICES, coerce=int, initial=2, label="Seconds per variant"
    )
