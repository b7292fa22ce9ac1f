"""The template partials gotchas gallery: what ``"file.html#name"`` can and cannot address."""
