from __future__ import annotations

import importlib.util

# The browser tests need Playwright, which only the `browser` tox env installs;
# elsewhere they are not even collected (they are deselected there anyway).
collect_ignore_glob = [] if importlib.util.find_spec("playwright") else ["browser/*"]
