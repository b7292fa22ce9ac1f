from __future__ import annotations

from django_six_demos.csp_policy import NONCE, merge_directives


def test_merge_directives_appends_sources_once():
    merged = merge_directives(
        {"img-src": ["'self'"], "upgrade-insecure-requests": True},
        {"img-src": ["'self'", "data:"], "media-src": ["'self'"]},
    )

    assert merged == {
        "img-src": ["'self'", "data:"],
        "upgrade-insecure-requests": True,
        "media-src": ["'self'"],
    }


def test_nonce_repr_is_readable():
    assert repr(NONCE) == "NONCE"
