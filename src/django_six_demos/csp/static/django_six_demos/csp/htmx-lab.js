// The htmx lab's strict alternatives (htmx under a strict CSP).
//
// Behaviour that hx-on attributes, trigger filters or a <script> in a swapped
// fragment would carry lives here instead: a static file, loaded with the
// response's nonce, listening to htmx's events. No eval, no inline script, and
// only textContent writes.
(function () {
  "use strict";

  let finished = 0;

  // Instead of hx-on:htmx:after-request="...": one listener for every element
  // marked data-after-request-status="<id of an element to write into>".
  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    const statusId = elt instanceof HTMLElement ? elt.dataset.afterRequestStatus : undefined;
    const output = statusId ? document.getElementById(statusId) : null;
    if (!output) return;
    finished += 1;
    const xhr = event.detail.xhr;
    const swapped = event.detail.successful ? "swapped" : "not swapped";
    output.textContent = `htmx-lab.js saw request ${finished} finish: ${xhr.status} ${xhr.statusText}, ${swapped}.`;
  });

  // Instead of hx-trigger="keyup[key=='Enter']": the condition in this file.
  // The element's hx-trigger names a custom event, fired here when it holds.
  document.addEventListener("keyup", (event) => {
    const input = event.target;
    if (event.key === "Enter" && input instanceof Element && input.matches("[data-enter-key]")) {
      window.htmx.trigger(input, "enter-key");
    }
  });

  // Instead of a <script> in a partial: set up what htmx swaps in. htmx fires
  // htmx:load on each new element (and once on <body> at start-up).
  document.addEventListener("htmx:load", (event) => {
    const root = event.detail.elt;
    if (!(root instanceof Element)) return;
    const marked = root.matches("[data-lab-init]") ? [root] : root.querySelectorAll("[data-lab-init]");
    for (const element of marked) {
      element.textContent = "Initialised by htmx-lab.js on htmx:load.";
    }
  });
})();
