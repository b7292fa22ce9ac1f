"""The tasks room's forms: what each task is enqueued with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from django import forms

from django_six_demos.tasks.caps import MAX_TOTAL_DELAY
from django_six_demos.tasks.models import ScheduleExport

AS_JSON: Final = "json"  # how the emails form hands its travel grant to the task
AS_CLEANED: Final = "cleaned"
# A plausible grant, not any number typed into mail from the conference's address.
MAX_TRAVEL_GRANT: Final = Decimal("1500.00")
SLOW_DELAY_MS: Final = 50


class EmailsForm(forms.Form):
    """The acceptance emails, with a grant passed as a string (JSON) or as a ``Decimal`` (refused)."""

    travel_grant = forms.DecimalField(
        label="Travel grant (EUR)",
        required=False,
        min_value=Decimal(0),
        max_value=MAX_TRAVEL_GRANT,
        max_digits=7,
        decimal_places=2,
        initial=Decimal("250.00"),
        help_text=f"Mentioned in each email, EUR {MAX_TRAVEL_GRANT:,} at most; leave empty for none.",
    )
    arguments = forms.ChoiceField(
        label="Pass the grant to the task",
        choices=[
            (AS_JSON, 'as a string, "250.00" (JSON: accepted)'),
            (AS_CLEANED, "as the Decimal the form cleaned (not JSON: refused)"),
        ],
        initial=AS_JSON,
        widget=forms.RadioSelect,
    )

    def task_kwargs(self) -> dict[str, Any]:
        """The task's keyword arguments, converted to JSON or not, as chosen."""
        grant: Decimal | None = self.cleaned_data["travel_grant"]
        if self.cleaned_data["arguments"] == AS_CLEANED:
            return {"travel_grant": grant}
        return {"travel_grant": None if grant is None else str(grant)}


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=ScheduleExport.Format.choices,
        initial=ScheduleExport.Format.CSV,
        widget=forms.RadioSelect,
    )
    delay_ms = forms.TypedChoiceField(
        label="Speed",
        coerce=int,
        choices=[
            (0, "As fast as it can"),
            (SLOW_DELAY_MS, f"Slowly, {SLOW_DELAY_MS} ms per talk, to watch the progress bar"),
        ],
        initial=0,
        widget=forms.RadioSelect,
        help_text=(
            f"Slowly never adds more than {MAX_TOTAL_DELAY.total_seconds():.0f} s in all: "
            "with many talks, each pause is shorter."
        ),
    )


class FailureForm(forms.Form):
    message = forms.CharField(max_length=200, initial="Failed on demand")
