// Ends the SSE extension's retries once the server has refused a stream for good.
//
// htmx's SSE extension reopens an EventSource that the browser closed, with a growing
// delay, forever. The browser closes one only when the server refuses it (a stream URL
// is one-time: a second request gets 410 Gone), never after a "done" event, which the
// extension closes itself (sse-close). So a closed source here means: stop asking, and
// say how to see the stored answer. A static file under the page's nonce: no inline
// script, no hx-on.
(function () {
  "use strict";

  document.addEventListener("htmx:sseError", (event) => {
    const source = event.detail && event.detail.source;
    const element = event.target;
    if (!source || source.readyState !== EventSource.CLOSED || !(element instanceof Element)) {
      return;
    }
    // The extension's retry reads sse-connect again: without it, nothing reconnects.
    element.removeAttribute("sse-connect");
    element.removeAttribute("aria-busy");
    const status = element.querySelector(".chat-stop-status");
    if (status) {
      status.textContent = "The stream has closed: reload the page to see the stored answer.";
    }
  });
})();
