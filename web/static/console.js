/*
 * The test console's question box (a textarea, so that a visitor's message of several lines is tried as it was
 * sent): Enter runs the test, as Enter sends in the chat widget; Shift+Enter puts in a line break. The Enter that
 * confirms a kana-kanji conversion only confirms it. Without this script the 試す button still runs the test.
 */
(function () {
  "use strict";

  var box = document.getElementById("q");
  if (!box || !box.form) return;
  var composing = false;
  box.addEventListener("compositionstart", function () { composing = true; });
  box.addEventListener("compositionend", function () { composing = false; });
  box.addEventListener("keydown", function (e) {
    // As the widget: not while converting (isComposing; 229 for older Safari); Ctrl+Enter runs it too.
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.isComposing || composing || e.keyCode === 229) return;
    e.preventDefault();
    // requestSubmit: the form's own checks (an empty question) first, as a click on 試す
    if (typeof box.form.requestSubmit === "function") box.form.requestSubmit();
    else box.form.submit();
  });
})();
