"""The example project that serves django-six-demos (never packaged)."""
