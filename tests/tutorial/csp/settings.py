"""The Content Security Policy settings of the CSP chapter, with Django's own API (6.0+).

A startproject's settings plus three things: the middleware, ``SECURE_CSP`` and
the ``csp`` context processor, which gives templates ``{{ csp_nonce }}``.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Sends SECURE_CSP (and SECURE_CSP_REPORT_ONLY) on every response.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Everything from this site only; a script runs only if it carries this
# response's nonce (CSP.NONCE becomes 'nonce-...' in the header).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.NONCE],
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {{ csp_nonce }}: the nonce the middleware puts in the header.
                "django.template.context_processors.csp",
            ],
        },
    },
]
