// The recorder of the htmx lab's "what breaks" pages (htmx under a strict CSP).
//
// Loaded with the response's nonce, it runs before htmx processes the page
// (both are deferred; htmx starts on DOMContentLoaded) and notes what happens
// while the visitor tries the broken pattern: CSP violations (the
// securitypolicyviolation event), htmx's error events, requests and swaps,
// plus what each variant needs: did the hx-on handler run, how many keys were
// released, did htmx's <style> get a stylesheet, did the fragment's <script>
// run. It writes into the page's table with textContent only.
(function () {
  "use strict";

  const HTMX_ERRORS = ["htmx:evalDisallowedError", "htmx:syntax:error", "htmx:eventFilter:error"];
  const violations = [];
  const htmxErrors = new Map();
  let requests = 0;
  let swaps = 0;
  let keys = 0;
  let enterKeys = 0;
  let restingOpacity = "?";

  function record(row, text) {
    const cell = document.querySelector(`[data-lab-row="${row}"] [data-lab-value]`);
    if (cell) cell.textContent = text;
  }

  function probe(name) {
    return document.querySelector(`[data-lab-probe~="${name}"]`);
  }

  const yesNo = (value) => (value ? "yes" : "no");

  function recordHtmxErrors() {
    const items = [...htmxErrors].map(([name, count]) => (count > 1 ? `${name} ×${count}` : name));
    record("htmx-errors", items.length ? items.join("; ") : "none");
  }

  // Deferred scripts run once the document is parsed: the table is there.
  record("violations", "none");
  recordHtmxErrors();
  record("requests", "0");
  record("swaps", "0");
  record("handler", "not yet: press the button");
  record("keys", "0 (0 of them Enter)");
  record("scripts", "not yet: press the button");
  record("script-ran", "not yet: press the button");

  document.addEventListener("securitypolicyviolation", (event) => {
    const mode = event.disposition === "report" ? "report-only" : "enforced";
    violations.push(`${mode} ${event.effectiveDirective} (blocked ${event.blockedURI || "inline"})`);
    record("violations", violations.join("; "));
  });

  for (const name of HTMX_ERRORS) {
    document.addEventListener(name, () => {
      htmxErrors.set(name, (htmxErrors.get(name) || 0) + 1);
      recordHtmxErrors();
    });
  }

  document.addEventListener("htmx:beforeRequest", () => {
    requests += 1;
    record("requests", String(requests));
    const indicator = probe("indicator");
    if (indicator) {
      // Halfway through the slow fragment's wait, after the 200 ms fade.
      setTimeout(() => {
        const opacity = getComputedStyle(indicator).opacity;
        record("indicator", `at rest: ${restingOpacity}; during the request: opacity ${opacity}`);
      }, 300);
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (elt instanceof HTMLElement && elt.matches('[data-lab-probe~="handler"]')) {
      // hx-on listens for htmx:after-request, which htmx dispatches after this
      // event: look once both are done.
      setTimeout(() => record("handler", yesNo(elt.dataset.handlerRan === "yes")), 0);
    }
  });

  document.addEventListener("htmx:afterSwap", () => {
    swaps += 1;
    record("swaps", String(swaps));
    if (probe("script")) {
      const target = document.getElementById("lab-target");
      setTimeout(() => {
        record("scripts", String(target ? target.querySelectorAll("script").length : 0));
        record("script-ran", yesNo(document.body.dataset.partialScriptRan === "yes"));
      }, 0);
    }
  });

  document.addEventListener("keyup", (event) => {
    if (event.target instanceof Element && event.target.matches('[data-lab-probe~="keys"]')) {
      keys += 1;
      if (event.key === "Enter") enterKeys += 1;
      record("keys", `${keys} (${enterKeys} of them Enter)`);
    }
  });

  // htmx adds its indicator <style> on DOMContentLoaded, in a listener added
  // before this one: by now it is there, or it never will be.
  document.addEventListener("DOMContentLoaded", () => {
    const style = [...document.head.querySelectorAll("style")].find((element) =>
      element.textContent.includes(".htmx-indicator"),
    );
    if (!style) {
      record("style", "none: htmx added no <style>");
    } else if (style.sheet) {
      record("style", "added, and applied");
    } else {
      record("style", "added, but blocked: the browser gave it no stylesheet");
    }
    const indicator = probe("indicator");
    if (indicator) {
      restingOpacity = `opacity ${getComputedStyle(indicator).opacity}`;
      record("indicator", `at rest: ${restingOpacity}; not requested yet`);
    }
  });
})();
