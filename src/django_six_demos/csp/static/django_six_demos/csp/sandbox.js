// The CSP lab's pages say what the browser did: the injection sandbox, the
// enforced and report-only twins, the per-view pages and the policy explorer.
//
// Loaded with the page's nonce and without "defer", so that it listens for
// securitypolicyviolation before the parser reaches the violations it reports.
// It builds elements with textContent only (no innerHTML, no inline styles).
// Everything it does is driven by data-csp-* attributes in the templates:
//
// - [data-csp-violations]: a list of the violations this page has seen.
// - img[data-csp-probe] + [data-csp-probe-result]: whether the image loaded;
//   inside [data-csp-mode] (a twin page) the result is kept in sessionStorage
//   for the explorer's columns.
// - [data-csp-marker]: whether a sandbox payload ever ran (window.__sandboxRan).
// - [data-csp-twin-url] (the explorer): the CSP headers that page gets, fetched
//   now, and what its image did when it was last opened in this tab.
(function () {
  "use strict";

  const CSP_HEADERS = ["Content-Security-Policy", "Content-Security-Policy-Report-Only"];
  const STORAGE_PREFIX = "django-six-demos:csp-twin:";
  // Violations fired before the lists exist, shown once the document is parsed.
  const pending = [];
  let parsed = false;

  function describe(event) {
    const blocked = event.blockedURI || "inline";
    let what = blocked;
    // Chromium reports a data: URL as "data", inline code as "inline".
    if (blocked === "data" || blocked.startsWith("data:")) what = "a data: URL";
    else if (blocked === "inline") what = "inline code";
    if (event.disposition === "report") {
      return `Reported, not blocked: ${event.effectiveDirective} would refuse ${what}`;
    }
    return `Blocked: ${event.effectiveDirective} refused ${what}`;
  }

  function showViolation(text) {
    for (const list of document.querySelectorAll("[data-csp-violations]")) {
      for (const empty of list.querySelectorAll("[data-csp-violations-empty]")) {
        empty.remove();
      }
      const item = document.createElement("li");
      item.textContent = text;
      list.append(item);
    }
  }

  function updateMarker() {
    const ran = window.__sandboxRan;
    for (const marker of document.querySelectorAll("[data-csp-marker]")) {
      if (ran === undefined) {
        marker.textContent = "no payload ran: window.__sandboxRan is not set.";
        marker.dataset.state = "inert";
      } else {
        marker.textContent = `a payload RAN: window.__sandboxRan = ${JSON.stringify(ran)}.`;
        marker.dataset.state = "ran";
      }
    }
  }

  function remember(mode, state) {
    try {
      window.sessionStorage.setItem(STORAGE_PREFIX + mode, state);
    } catch (error) {
      // Storage can be disabled; the twin page still shows its own result.
    }
  }

  function recall(mode) {
    try {
      return window.sessionStorage.getItem(STORAGE_PREFIX + mode);
    } catch (error) {
      return null;
    }
  }

  function watchProbe(image) {
    const section = image.closest("[data-csp-mode]");
    const scope = image.closest("section") || document;
    const settle = () => {
      const state = image.naturalWidth > 0 ? "loaded" : "blocked";
      for (const result of scope.querySelectorAll("[data-csp-probe-result]")) {
        result.textContent =
          state === "loaded" ? "Loaded: the browser showed it." : "Blocked: the browser refused it.";
        result.dataset.state = state;
      }
      if (section) remember(section.dataset.cspMode, state);
    };
    if (image.complete) {
      settle();
    } else {
      image.addEventListener("load", settle, { once: true });
      image.addEventListener("error", settle, { once: true });
    }
  }

  function imageText(state) {
    if (state === "loaded") return "Loaded when you opened it.";
    if (state === "blocked") return "Blocked when you opened it.";
    return "Not opened yet in this tab.";
  }

  function fillTwinImages() {
    for (const column of document.querySelectorAll("[data-csp-twin]")) {
      const state = recall(column.dataset.cspTwin);
      for (const cell of column.querySelectorAll("[data-csp-twin-image]")) {
        cell.textContent = imageText(state);
        cell.dataset.state = state || "unknown";
      }
    }
  }

  function imgSrc(header) {
    for (const part of header.split(";")) {
      const tokens = part.trim().split(/\s+/);
      if (tokens[0].toLowerCase() === "img-src") return tokens.slice(1).join(" ");
    }
    return null;
  }

  async function fetchTwinHeaders(column) {
    const cell = column.querySelector("[data-csp-twin-headers]");
    if (!cell) return;
    let response;
    try {
      // Only the headers matter (the views answer GET only, not HEAD).
      response = await fetch(column.dataset.cspTwinUrl, { credentials: "same-origin" });
    } catch (error) {
      cell.textContent = `Could not fetch the page: ${error}`;
      return;
    }
    if (!response.ok) {
      cell.textContent = `The page answered ${response.status} ${response.statusText}.`;
      return;
    }
    const list = document.createElement("ul");
    for (const name of CSP_HEADERS) {
      const value = response.headers.get(name);
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = name;
      item.append(code);
      item.dataset.header = name;
      if (value === null) {
        item.append(": not sent");
        item.dataset.sent = "no";
      } else {
        const source = imgSrc(value);
        item.append(source === null ? ": sent" : `: sent, img-src ${source}`);
        item.dataset.sent = "yes";
      }
      list.append(item);
    }
    cell.replaceChildren(list);
  }

  document.addEventListener("securitypolicyviolation", (event) => {
    const text = describe(event);
    if (parsed) {
      showViolation(text);
      updateMarker();
    } else {
      pending.push(text);
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    parsed = true;
    for (const text of pending.splice(0)) showViolation(text);
    for (const image of document.querySelectorAll("img[data-csp-probe]")) watchProbe(image);
    for (const column of document.querySelectorAll("[data-csp-twin-url]")) fetchTwinHeaders(column);
    fillTwinImages();
    updateMarker();
  });

  // After an htmx swap (the sandbox's partial), and when the page comes back from history.
  document.addEventListener("htmx:afterSettle", updateMarker);
  window.addEventListener("load", updateMarker);
  window.addEventListener("pageshow", fillTwinImages);
})();
