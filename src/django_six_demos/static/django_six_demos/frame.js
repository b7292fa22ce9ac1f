// Redraws the demo frame's response inspector after each htmx swap.
//
// The server computes the inspection (django_six_demos.frame.inspector) and sends
// it as JSON in the Demo-Inspection header; this script only draws it, with
// textContent and no inline styles, as a strict CSP requires.
(function () {
  "use strict";

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  function code(text, className) {
    return el("code", className ? { class: className } : {}, String(text));
  }

  // Every header the browser received, as the full page's "All response headers".
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

  function policyTable(policy) {
    const body = el("tbody");
    for (const [name, sources] of Object.entries(policy.directives)) {
      const cell = el("td");
      if (sources.length) {
        for (const source of sources) cell.append(code(source), " ");
      } else {
        cell.append(el("em", {}, "(no value)"));
      }
      body.append(el("tr", {}, el("th", { scope: "row" }, code(name)), cell));
    }
    return el("table", { class: "csp-table" }, el("caption", {}, code(policy.name)), body);
  }

  function render(inspection, xhr) {
    const facts = el("dl", { class: "facts" });
    const fact = (term, value) => facts.append(el("dt", {}, term), value);
    const statusClass = `status status-${String(inspection.status).charAt(0)}xx`;
    fact("Status", el("dd", { class: statusClass }, `${inspection.status} ${inspection.reason}`));
    fact("View", el("dd", {}, code(inspection.view || "(none)")));
    fact("Template", el("dd", {}, code(inspection.template || "(not a TemplateResponse)", "rendered-template")));
    fact("Queries", el("dd", { class: "query-count" }, String(inspection.queries)));
    fact("Time", el("dd", {}, `${inspection.duration_ms.toFixed(1)} ms`));

    const inspector = el(
      "div",
      { id: "demo-inspector", class: "inspector" },
      el(
        "p",
        { class: "inspector-request" },
        el("span", { class: inspection.is_htmx ? "badge badge-htmx" : "badge" }, inspection.is_htmx ? "htmx swap" : "full page"),
        " ",
        code(`${inspection.method} ${inspection.path}`),
      ),
      facts,
      el("h3", {}, "Content Security Policy"),
      el("p", { class: `nonce-verdict ${inspection.nonce_ok ? "verdict-ok" : "verdict-bad"}` }, inspection.nonce_verdict),
      ...inspection.policies.map(policyTable),
    );
    if (!inspection.policies.length) inspector.append(el("p", { class: "verdict-bad" }, "No CSP header."));
    inspector.append(
      el("h3", {}, "htmx headers"),
      headersTable(
        [
          ...inspection.request_htmx_headers.map(([name, value]) => ["request", name, value]),
          ...inspection.response_htmx_headers.map(([name, value]) => ["response", name, value]),
        ],
        "None: a plain browser request.",
      ),
      el(
        "details",
        { class: "all-headers" },
        el("summary", {}, "All response headers"),
        headersTable(responseHeaders(xhr).map(([name, value]) => ["", name, value])),
      ),
    );
    const current = document.getElementById("demo-inspector");
    if (current) current.replaceWith(inspector);
  }

  document.addEventListener("htmx:afterRequest", (event) => {
    // Only demo views describe themselves; other requests are left alone.
    const header = event.detail.xhr && event.detail.xhr.getResponseHeader("Demo-Inspection");
    if (header !== null && header !== undefined) render(JSON.parse(header), event.detail.xhr);
  });
})();
