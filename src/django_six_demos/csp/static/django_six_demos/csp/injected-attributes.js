// The CSP lab's page on injected htmx attributes: says, live, whether the
// planted hx-post ever sent its request, and what htmx's config is.
//
// The watch is the browser's own record of the page's requests (resource
// timing, read through a PerformanceObserver with buffered entries, so the
// requests made before this script ran count too), not htmx's events: a
// request to the planted URL from any source would show. It writes with
// textContent only.
(function () {
  "use strict";

  const sent = [];

  function outputs() {
    return document.querySelectorAll("[data-planted-status]");
  }

  function plantedPath() {
    const output = document.querySelector("[data-planted-url]");
    return output ? output.dataset.plantedUrl : null;
  }

  function show() {
    for (const output of outputs()) {
      if (sent.length === 0) {
        output.textContent = "none: htmx did not act on the planted attributes.";
        output.dataset.state = "inert";
      } else {
        output.textContent = `${sent.length} SENT (${sent.join(", ")}).`;
        output.dataset.state = "sent";
      }
    }
  }

  function record(entries) {
    const path = plantedPath();
    if (!path) return;
    let found = false;
    for (const entry of entries) {
      if (new URL(entry.name, document.baseURI).pathname === path) {
        sent.push(`${entry.initiatorType} at ${Math.round(entry.startTime)} ms`);
        found = true;
      }
    }
    if (found) show();
  }

  function showConfig() {
    for (const output of document.querySelectorAll("[data-htmx-config]")) {
      const value = window.htmx ? window.htmx.config[output.dataset.htmxConfig] : undefined;
      output.textContent = String(value);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if ("PerformanceObserver" in window) {
      new PerformanceObserver((list) => record(list.getEntries())).observe({
        type: "resource",
        buffered: true,
      });
    }
    show();
    showConfig();
  });
})();
