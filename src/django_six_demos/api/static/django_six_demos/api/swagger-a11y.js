// Names the controls that Swagger UI draws without one, as it draws them.
//
// The Swagger UI that Django Ninja ships (5.31) leaves some of its markup nameless, which
// axe-core reports and screen readers read as a bare "combo box" or "button":
// - the parameters' selects and the request body's textarea have no label
//   (swagger-api/swagger-ui#6512, #8092, #10698: still open upstream);
// - the copy-to-clipboard buttons are empty (#9584: named upstream by #10842, after 5.31);
// - every expanded operation's responses table is a role="region" without a name, so the
//   regions cannot be told apart (axe: landmark-unique).
// Swagger UI is React: it draws these on demand (expand an operation, "Try it out",
// "Execute"), so a MutationObserver names each one as it appears. Only setAttribute: React
// leaves alone the attributes it did not set, and nothing here writes HTML.
(function () {
  "use strict";

  const root = document.getElementById("swagger-ui");
  if (!root) {
    return;
  }

  // What each copy button copies, by the block around it.
  const COPIED = [
    [".curl-command", "the curl command"],
    [".request-snippets", "the request snippet"],
    [".live-responses-table", "the response body"],
  ];

  function hasName(element) {
    const label = element.getAttribute("aria-label");
    return Boolean(
      (label && label.trim()) ||
        element.hasAttribute("aria-labelledby") ||
        (element.title && element.title.trim()) ||
        (element.labels && element.labels.length) ||
        (element.tagName === "BUTTON" && element.textContent.trim()),
    );
  }

  function name(element, label) {
    if (!hasName(element)) {
      element.setAttribute("aria-label", label);
    }
  }

  // "GET /api/ninja/talks/": the operation's method and path, as its summary shows them.
  function operation(element) {
    const block = element.closest(".opblock");
    const method = block && block.querySelector(".opblock-summary-method");
    const path = block && block.querySelector(".opblock-summary-path");
    if (!method || !path) {
      return "";
    }
    return `${method.textContent.trim()} ${path.dataset.path || path.textContent.trim()}`;
  }

  function of(element) {
    const shown = operation(element);
    return shown ? ` of ${shown}` : "";
  }

  function nameAll() {
    // A parameter's control: its row's data-param-name, the .parameter__name text without
    // the " *" that marks a required one.
    for (const control of root.querySelectorAll(
      "tr[data-param-name] select, tr[data-param-name] input, tr[data-param-name] textarea",
    )) {
      name(control, control.closest("tr[data-param-name]").dataset.paramName);
    }
    for (const body of root.querySelectorAll("textarea.body-param__text")) {
      name(body, `Request body${of(body)}`);
    }
    for (const button of root.querySelectorAll(".copy-to-clipboard button")) {
      const found = COPIED.find(([block]) => button.closest(block));
      name(button, found ? `Copy ${found[1]}${of(button)}` : "Copy to clipboard");
    }
    for (const region of root.querySelectorAll(".responses-table[role='region']")) {
      name(region, `Responses${of(region)}`);
    }
  }

  nameAll();
  // Naming sets attributes only, which this observer does not watch: no loop.
  new MutationObserver(nameAll).observe(root, { childList: true, subtree: true });
})();
