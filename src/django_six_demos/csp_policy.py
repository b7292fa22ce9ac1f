"""Content Security Policies written neutrally: directive names mapped to sources.

``NONCE`` stands for "this response's nonce"; ``compat`` translates a policy for the Django line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

SELF: Final = "'self'"
NONE: Final = "'none'"
STRICT_DYNAMIC: Final = "'strict-dynamic'"


class _Nonce:
    def __repr__(self) -> str:
        return "NONCE"


NONCE: Final = _Nonce()

Source = str | _Nonce
# True for a directive without sources, such as upgrade-insecure-requests.
Directives = Mapping[str, Sequence[Source] | bool]


def merge_directives(base: Directives, extra: Directives) -> dict[str, Any]:
    """Return ``base`` with each directive's sources extended by ``extra``'s."""
    merged: dict[str, Any] = {k: v if isinstance(v, bool) else list(v) for k, v in base.items()}
    for name, sources in extra.items():
        current = merged.get(name)
        if isinstance(sources, bool) or isinstance(current, bool) or current is None:
            merged[name] = sources if isinstance(sources, bool) else list(sources)
        else:
            merged[name] = current + [s for s in sources if s not in current]
    return merged
