// Marks what an htmx request is working on with aria-busy while it runs.
//
// The element that makes the request (a form, a button, a search box) and the
// element its response will replace get aria-busy="true" from htmx:beforeRequest
// until htmx:afterRequest, which htmx fires on success, error, abort and timeout
// alike. Screen readers then wait for the region to settle before reading it, and
// demos.css shows a progress cursor. A static file under the page's nonce: no
// inline script, no hx-on.
(function () {
  "use strict";

  // The elements each running request marked, to unmark exactly those.
  const marked = new WeakMap();

  function elementsOf(detail) {
    return [detail.elt, detail.target].filter(
      (node, index, nodes) => node instanceof Element && nodes.indexOf(node) === index,
    );
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const nodes = elementsOf(event.detail);
    for (const node of nodes) node.setAttribute("aria-busy", "true");
    if (event.detail.xhr) marked.set(event.detail.xhr, nodes);
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const nodes = (event.detail.xhr && marked.get(event.detail.xhr)) || elementsOf(event.detail);
    for (const node of nodes) node.removeAttribute("aria-busy");
  });
})();
