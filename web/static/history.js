/*
 * The tab's history for a page that answers a form (body[data-address]: a POST's result). Left as it is, such a
 * page stays in the history as a form to send again: the back button past it, or a reload, would ask
 * 「フォームを再送信しますか」 and upload, publish, run or log in again. So its entry is given at once an address
 * that opens a page (the form's own, which opened again leads to the form's page), before a long action's
 * progress has finished streaming: a back or a reload meanwhile opens a page too. Once the answer is there, a
 * result with an address of its own ([data-address] in it: a batch run's kept report, the page a publish leads
 * back to) takes it.
 *
 * Loaded right after <body>, before anything else of the page; every page works without it.
 */
(function () {
  "use strict";

  var body = document.body;
  var address = body && body.getAttribute("data-address");
  if (!address || !window.history || !window.history.replaceState) return; // a page opened by its address

  function settle(to) {
    try {
      window.history.replaceState(window.history.state, "", to);
    } catch (e) {
      // an address the browser refuses: the history stays as it was
    }
  }

  settle(address);
  document.addEventListener("DOMContentLoaded", function () {
    var own = document.querySelector("main [data-address]");
    if (own) settle(own.getAttribute("data-address"));
  });
})();
