"""The shared chrome in a real browser: the response panel's layout, the skip link, aria-busy.

Wide, the demo and its response panel sit side by side and closing the panel gives the demo
its width back; on a phone the panel goes under the demo. Code in the panel scrolls inside it.
"""

from __future__ import annotations

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}

# Recorded by the page itself, before its scripts run: every aria-busy change, in order.
WATCH_BUSY = """
window.__busy = [];
new MutationObserver((records) => {
  for (const record of records) {
    window.__busy.push([record.target.id || record.target.tagName, record.target.getAttribute("aria-busy")]);
  }
}).observe(document, {attributes: true, attributeFilter: ["aria-busy"], subtree: true});
"""


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_wide_the_panel_sits_beside_the_demo_and_gives_its_width_back(strict_page, live_server):
    strict_page.set_viewport_size(DESKTOP)
    strict_page.goto(live_server.url + "/partials/")
    main, panel = box(strict_page, "main"), box(strict_page, ".frame")

    assert panel["x"] >= main["x"] + main["width"] - 1
    assert panel["width"] > 300

    strict_page.get_by_text("How this page works").click()

    expect(strict_page.locator("#demo-inspector")).to_be_hidden()
    closed = box(strict_page, "main")
    assert closed["width"] > main["width"] + 300
    assert closed["width"] >= DESKTOP["width"] - 80
    strict_page.get_by_text("How this page works").click()
    expect(strict_page.locator("#demo-inspector")).to_be_visible()
    assert box(strict_page, "main")["width"] == main["width"]


def test_on_a_phone_the_panel_goes_under_the_demo(strict_page, live_server):
    strict_page.set_viewport_size(PHONE)
    strict_page.goto(live_server.url + "/partials/")
    main, panel = box(strict_page, "main"), box(strict_page, ".frame")

    assert main["width"] == PHONE["width"]
    assert panel["y"] >= main["y"] + main["height"] - 1
    assert strict_page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_code_in_the_panel_scrolls_inside_itself(strict_page, live_server):
    for size in (PHONE, DESKTOP):
        strict_page.set_viewport_size(size)
        strict_page.goto(live_server.url + "/partials/")
        pre = strict_page.locator(".frame .source-code pre").first
        panel = box(strict_page, ".frame")

        code = pre.bounding_box()
        assert code["x"] + code["width"] <= panel["x"] + panel["width"] + 1, size
        # Wider than its box, it scrolls (nothing clipped), and a keyboard can reach it to do so.
        assert pre.evaluate("pre => pre.scrollWidth > pre.clientWidth"), size
        assert pre.evaluate("pre => getComputedStyle(pre).overflowX") == "auto"
        pre.focus()
        for _ in range(5):
            strict_page.keyboard.press("ArrowRight")
        expect(pre).not_to_have_js_property("scrollLeft", 0)


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(strict_page, live_server):
    strict_page.goto(live_server.url + "/partials/")

    strict_page.keyboard.press("Tab")
    skip = strict_page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    strict_page.keyboard.press("Enter")
    strict_page.keyboard.press("Tab")

    # The next stop is the first link of the page's own content, past the header.
    expect(strict_page.locator("main a").first).to_be_focused()


def test_an_htmx_request_marks_its_element_busy_until_it_ends(strict_page, live_server):
    strict_page.add_init_script(WATCH_BUSY)
    strict_page.goto(live_server.url + "/__test__/htmx-swap/")

    strict_page.get_by_role("button", name="Fetch the home page's heading").click()

    expect(strict_page.locator("#swapped h1")).to_have_text("Django 6, demonstrated")
    changes = strict_page.evaluate("window.__busy")
    assert ["BUTTON", "true"] in changes
    assert ["swapped", "true"] in changes
    assert changes[-2:] in (
        [["BUTTON", None], ["swapped", None]],
        [["swapped", None], ["BUTTON", None]],
    )
    assert strict_page.locator("[aria-busy]").count() == 0
