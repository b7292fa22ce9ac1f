"""The checks every page passes in a real browser: no sideways scroll, no axe-core
violation, nothing drawn over the demo frame's response panel.

Each function takes a Playwright page that has loaded and returns what is wrong
(readable lines; empty when all is well). ``audit`` runs them all.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

# The demo frame's response panel (django_six_demos/base.html).
PANEL = "aside.frame"

# The axe-core rules whose outcome depends on colour: what a dark scheme can break.
COLOUR_RULES = ("color-contrast", "link-in-text-block")

# axe-core as axe-playwright-python ships it, evaluated in the page through the
# DevTools protocol (page.evaluate), which the page's CSP does not govern;
# axe-core adds no script or style to the page, so no violation is reported.
# Injected once per document: the package's Axe.run would inject it on every run.
AXE_SCRIPT = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
_RUN_AXE = """
async (rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const results = await window.axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}
"""

# The outermost elements and text runs outside the panel whose visible box
# (their box clipped by every ancestor that clips overflow) meets the panel's.
# A box that merely touches the panel, or a 1 px visually hidden one, is not
# counted.
_OVERLAPS = """
(selector) => {
  const panel = document.querySelector(selector);
  if (!panel) return [];
  const p = panel.getBoundingClientRect();
  if (p.width === 0 || p.height === 0) return [];
  const clipped = (node, rect) => {
    let r = {left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom};
    for (let a = node.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== "visible" || style.overflowY !== "visible") {
        const c = a.getBoundingClientRect();
        if (style.overflowX !== "visible") {
          r.left = Math.max(r.left, c.left); r.right = Math.min(r.right, c.right);
        }
        if (style.overflowY !== "visible") {
          r.top = Math.max(r.top, c.top); r.bottom = Math.min(r.bottom, c.bottom);
        }
      }
    }
    return r;
  };
  const meets = (node, rect) => {
    if (rect.width === 0 || rect.height === 0) return false;
    const r = clipped(node, rect);
    const w = Math.min(r.right, p.right) - Math.max(r.left, p.left);
    const h = Math.min(r.bottom, p.bottom) - Math.max(r.top, p.top);
    return w > 1 && h > 1;
  };
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    for (const cls of el.classList) text += "." + cls;
    return text;
  };
  const path = (el) => {
    const parts = [];
    for (let a = el; a && a !== document.body; a = a.parentElement) parts.unshift(name(a));
    return parts.join(" > ");
  };
  const found = [];
  const visit = (el) => {
    if (el === panel) return;
    if (el.contains(panel)) {
      for (const child of el.children) visit(child);
      return;
    }
    // Not rendered (display: none, or inside a closed <details>): nothing is drawn.
    if (!el.checkVisibility()) return;
    const shown = getComputedStyle(el).visibility !== "hidden";
    if (shown && meets(el, el.getBoundingClientRect())) {
      found.push(path(el));
      return;
    }
    // Text can spill out of a box that stays clear of the panel.
    for (const child of el.childNodes) {
      if (shown && child.nodeType === Node.TEXT_NODE && child.textContent.trim()) {
        const range = document.createRange();
        range.selectNodeContents(child);
        if (meets(child, range.getBoundingClientRect())) {
          found.push(`text of ${path(el)}: ${child.textContent.trim().slice(0, 40)}`);
          return;
        }
      }
    }
    for (const child of el.children) visit(child);
  };
  visit(document.body);
  return found;
}
"""


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scroll)."""
    overflow: int = page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
    return overflow


def axe_violations(page: Any, rules: tuple[str, ...] | None = None) -> list[str]:
    """axe-core's violations of any impact (of ``rules`` only, if given), one line per
    rule: ``"rule-id: impact: target selectors: help"``."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, list(rules) if rules else None)
    return [f"{v['id']}: {v['impact']}: {_targets(v['targets'])}: {v['help']}" for v in violations]


def _targets(targets: list[str], shown: int = 3) -> str:
    """The first few selectors of a rule's failing elements, and how many more there are."""
    more = f" (and {len(targets) - shown} more)" if len(targets) > shown else ""
    return ", ".join(targets[:shown]) + more


def panel_overlaps(page: Any, panel: str = PANEL) -> list[str]:
    """Elements (or text) outside the response panel drawn over it, outermost first.

    Boxes are taken as the user sees them: clipped by any scroll container.
    Pages without the panel have nothing to overlap.
    """
    overlaps: list[str] = page.evaluate(_OVERLAPS, panel)
    return overlaps


def audit(page: Any, *, dark: bool = True) -> list[str]:
    """Everything wrong with the page as loaded, at its current size.

    The page is checked in the colour scheme it has, then (``dark``) again in
    the dark scheme for the rules that depend on colour; the scheme it had is
    restored afterwards.
    """
    problems = []
    if overflow := horizontal_overflow(page):
        problems.append(f"scrolls sideways: {overflow} px wider than the viewport")
    problems += [f"axe: {violation}" for violation in axe_violations(page)]
    problems += [f"over the panel: {overlap}" for overlap in panel_overlaps(page)]
    if dark:
        was_dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        page.emulate_media(color_scheme="dark")
        try:
            problems += [
                f"axe (dark scheme): {violation}"
                for violation in axe_violations(page, COLOUR_RULES)
            ]
        finally:
            page.emulate_media(color_scheme="dark" if was_dark else "light")
    return problems
