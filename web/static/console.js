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
  // The limit as the server counts it (characters, line breaks one each, surrounding white space aside): over it,
  // said under the box and nothing sent (a paste is kept whole, never cut: the question is often its last sentence).
  var count = document.getElementById("q-count");
  var maxChars = parseInt(box.getAttribute("data-max-chars"), 10) || 0;
  function over() {
    var n = Array.from(box.value.replace(/\r\n/g, "\n").trim()).length;
    var too = maxChars > 0 && n > maxChars;
    if (count) {
      count.textContent = too ? "質問が長すぎます（" + n + " / " + maxChars + "文字）。短くしてから試してください。"
        : n > maxChars * 0.8 ? "残り" + (maxChars - n) + "文字" : "";
      count.classList.toggle("over", too);
    }
    if (too) box.setAttribute("aria-invalid", "true"); else box.removeAttribute("aria-invalid");
    return too;
  }
  box.addEventListener("input", over);
  over();
  box.form.addEventListener("submit", function (e) {
    if (over()) { e.preventDefault(); box.focus(); }
  });
  box.addEventListener("keydown", function (e) {
    // As the widget: not while converting (isComposing; 229 for older Safari); Ctrl+Enter runs it too.
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.isComposing || composing || e.keyCode === 229) return;
    e.preventDefault();
    // requestSubmit: the form's own checks (an empty question) first, as a click on 試す
    if (typeof box.form.requestSubmit === "function") box.form.requestSubmit();
    else box.form.submit();
  });
})();
