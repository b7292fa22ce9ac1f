// The demo frame's response inspector, after htmx swaps.
//
// A full page arrives with the inspector rendered by the server. An htmx swap
// carries only its fragment, so after each htmx request this script redraws
// the inspector from that response: its status and headers (which the browser
// can read for XHR, unlike for the page itself) plus the server-only facts in
// the Demo-Inspection header. It builds elements with textContent only: no
// innerHTML, no inline styles, nothing a strict CSP would refuse.
(function () {
  "use strict";

  const CSP_HEADERS = ["Content-Security-Policy", "Content-Security-Policy-Report-Only"];
  const NONCE_ATTRIBUTE = /\snonce=["']([^"']*)["']/g;

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    for (const child of children) {
      node.append(child);
    }
    return node;
  }

  function code(text, className) {
    return el("code", className ? { class: className } : {}, String(text));
  }

  function responseHeaders(xhr) {
    return xhr
      .getAllResponseHeaders()
      .trim()
      .split(/[\r\n]+/)
      .filter(Boolean)
      .map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      });
  }

  function parseCsp(header) {
    return header
      .split(";")
      .map((part) => part.trim().split(/\s+/).filter(Boolean))
      .filter((tokens) => tokens.length)
      .map((tokens) => [tokens[0].toLowerCase(), tokens.slice(1)]);
  }

  function headerNonce(directives) {
    for (const [name, sources] of directives) {
      if (["script-src", "script-src-elem", "default-src"].includes(name)) {
        for (const source of sources) {
          const match = /^'nonce-([^']+)'$/.exec(source);
          if (match) return match[1];
        }
      }
    }
    return null;
  }

  // The same verdicts as django_six_demos.frame._nonce_verdict on the server.
  function nonceVerdict(policies, pageNonces) {
    const values = new Set(policies.map((p) => p.nonce).filter(Boolean));
    if (!policies.length) return ["No CSP header on this response.", false];
    if (!values.size) {
      if (pageNonces.length) return ["The page carries a nonce the header does not allow.", false];
      return ["No nonce: this response printed none, so its header carries none.", true];
    }
    if (values.size > 1) return ["The enforced and report-only headers carry different nonces.", false];
    const [value] = values;
    if (!pageNonces.length) return ["The header allows a nonce no element on the page uses.", true];
    if (pageNonces.every((nonce) => nonce === value)) {
      const noun = pageNonces.length === 1 ? "element carries" : "elements carry";
      return [`Matches: ${pageNonces.length} ${noun} the header's nonce.`, true];
    }
    return ["Mismatch: an element carries a nonce the header does not allow.", false];
  }

  // The path as requested, with the query string htmx built from the form.
  function requestPath(xhr, config) {
    if (xhr.responseURL) {
      const url = new URL(xhr.responseURL);
      return url.pathname + url.search;
    }
    return config.path || "";
  }

  function headersTable(rows, empty) {
    const body = el("tbody");
    for (const [label, name, value] of rows) {
      const th = el("th", { scope: "row" });
      if (label) th.append(label + " ");
      th.append(code(name));
      body.append(el("tr", {}, th, el("td", {}, code(value))));
    }
    if (!rows.length && empty) {
      body.append(el("tr", {}, el("td", { colspan: "2" }, el("em", {}, empty))));
    }
    return el("table", { class: "headers-table" }, body);
  }

  function render(detail) {
    const xhr = detail.xhr;
    const headers = responseHeaders(xhr);
    const facts = JSON.parse(xhr.getResponseHeader("Demo-Inspection") || "{}");
    const policies = CSP_HEADERS.filter((name) => xhr.getResponseHeader(name) !== null).map(
      (name) => {
        const directives = parseCsp(xhr.getResponseHeader(name));
        return { header: name, directives, nonce: headerNonce(directives) };
      },
    );
    const pageNonces = [...(xhr.responseText || "").matchAll(NONCE_ATTRIBUTE)].map((m) => m[1]);
    const [verdict, ok] = nonceVerdict(policies, pageNonces);
    const config = detail.requestConfig || {};
    // htmx leaves out headers whose value is null (e.g. HX-Trigger without an id).
    const requestHeaders = Object.entries(config.headers || {}).filter(
      ([name, value]) => name.toLowerCase().startsWith("hx-") && value !== null,
    );
    const responseHx = headers.filter(([name]) => name.toLowerCase().startsWith("hx-"));

    const factsList = el("dl", { class: "facts" });
    const statusClass = `status status-${String(xhr.status).charAt(0)}xx`;
    const addFact = (term, value) => factsList.append(el("dt", {}, term), value);
    addFact("Status", el("dd", { class: statusClass }, `${xhr.status} ${xhr.statusText}`));
    addFact("View", el("dd", {}, code(facts.view || "(none)")));
    addFact("Template", el("dd", {}, code(facts.template || "(not a TemplateResponse)", "rendered-template")));
    addFact("Queries", el("dd", { class: "query-count" }, String(facts.queries ?? "?")));
    addFact("Time", el("dd", {}, `${facts.ms ?? "?"} ms`));

    const inspector = el(
      "div",
      { id: "demo-inspector", class: "inspector" },
      el(
        "p",
        { class: "inspector-request" },
        el("span", { class: "badge badge-htmx" }, "htmx swap"),
        " ",
        code(`${(config.verb || "get").toUpperCase()} ${requestPath(xhr, config)}`),
      ),
      factsList,
      el("h3", {}, "Content Security Policy"),
      el("p", { class: `nonce-verdict ${ok ? "verdict-ok" : "verdict-bad"}` }, verdict),
    );
    for (const policy of policies) {
      const body = el("tbody");
      for (const [name, sources] of policy.directives) {
        const cell = el("td");
        if (sources.length) {
          for (const source of sources) cell.append(code(source), " ");
        } else {
          cell.append(el("em", {}, "(no value)"));
        }
        body.append(el("tr", {}, el("th", { scope: "row" }, code(name)), cell));
      }
      inspector.append(
        el("table", { class: "csp-table" }, el("caption", {}, code(policy.header)), body),
      );
    }
    if (!policies.length) inspector.append(el("p", { class: "verdict-bad" }, "No CSP header."));
    inspector.append(
      el("h3", {}, "htmx headers"),
      headersTable(
        [
          ...requestHeaders.map(([name, value]) => ["request", name, value]),
          ...responseHx.map(([name, value]) => ["response", name, value]),
        ],
        "None: a plain browser request.",
      ),
      el(
        "details",
        { class: "all-headers" },
        el("summary", {}, "All response headers"),
        headersTable(headers.map(([name, value]) => ["", name, name.toLowerCase() === "set-cookie" ? "(hidden)" : value])),
      ),
    );
    const current = document.getElementById("demo-inspector");
    if (current) current.replaceWith(inspector);
  }

  document.addEventListener("htmx:afterRequest", (event) => {
    // Only our own demo views describe themselves; other requests are left alone.
    if (event.detail.xhr && event.detail.xhr.getResponseHeader("Demo-Inspection") !== null) {
      render(event.detail);
    }
  });
})();
