// The htmx lab's "slow fragment": the wait happens in the browser, never in a
// server worker.
//
// The button's hx-swap="innerHTML swap:600ms" makes htmx wait before swapping
// the answer in. htmx takes its htmx-request class off the indicator as soon
// as the answer arrives, though, so for the buttons marked
// data-lab-hold-indicator="<ms>" this file puts the class back (in the same
// task: the fade carries on) and takes it off once the wait is over.
(function () {
  "use strict";

  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (!(elt instanceof HTMLElement) || !elt.dataset.labHoldIndicator) return;
    const hold = Number.parseInt(elt.dataset.labHoldIndicator, 10);
    const selector = elt.getAttribute("hx-indicator");
    const indicator = selector ? document.querySelector(selector) : null;
    if (!indicator || !event.detail.successful || !(hold > 0)) return;
    const requestClass = window.htmx.config.requestClass;
    indicator.classList.add(requestClass);
    window.setTimeout(() => indicator.classList.remove(requestClass), hold);
  });
})();
