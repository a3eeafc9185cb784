/*
 * faq-bot chat widget. Embed with one tag:
 *   <script src="https://bot.example.com/widget.js" defer
 *           data-server="https://bot.example.com" data-title="サポートチャット"
 *           data-color="#0b5cad" data-greeting="…" data-examples="質問1|質問2"></script>
 * Everything the server or the visitor sends is rendered as text (textContent),
 * never as HTML. No inline scripts or styles: it runs under a strict CSP.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__faqBotLoaded) return;
  window.__faqBotLoaded = true;

  var data = script.dataset;
  var server = (data.server || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var title = data.title || "サポートチャット";
  var greeting = data.greeting || "こんにちは。ご質問をどうぞ。";
  var examples = (data.examples || "").split("|").filter(Boolean).slice(0, 5);
  var color = /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#0b5cad";
  var sessionId = window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  var STEP = /^\s*([\u2460-\u2473]|\d+[.)．]|[・•-]\s)/; // ①..⑳, "1." "1)", bullets
  var URL_RE = /(https?:\/\/[^\s<>"'）」】]+)/g;

  // ---------------------------------------------------------------- elements
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  /** Text with line breaks, numbered steps and http(s) links; never parsed as HTML. */
  function richText(text) {
    var box = el("div", { class: "text" });
    String(text).split("\n").forEach(function (line) {
      var row = el("span", { class: STEP.test(line) ? "line step" : "line" });
      var last = 0;
      line.replace(URL_RE, function (url, _g, offset) {
        row.appendChild(document.createTextNode(line.slice(last, offset)));
        row.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }));
        last = offset + url.length;
        return url;
      });
      row.appendChild(document.createTextNode(line.slice(last)));
      box.appendChild(row);
    });
    return box;
  }

  var host = el("div", { id: "faq-bot-widget" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("link", { rel: "stylesheet", href: server + "/static/widget.css" });
  var launcher = el("button", {
    class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "fb-panel",
    "aria-label": title + "を開く",
  }, [el("span", { "aria-hidden": "true", text: "💬" }), el("span", { class: "launcher-label", text: title })]);
  var closeBtn = el("button", { class: "close", type: "button", "aria-label": "チャットを閉じる", text: "×" });
  var chips = el("div", { class: "chips", role: "group", "aria-label": "分類で絞り込む" });
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0",
    "aria-label": "会話" });
  var typing = el("div", { class: "typing", hidden: "" }, [
    el("span", { class: "dot", "aria-hidden": "true" }), el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "dot", "aria-hidden": "true" }), el("span", { class: "sr-only", text: "回答を作成しています" }),
  ]);
  var input = el("textarea", { id: "fb-input", rows: "1", maxlength: "500", autocomplete: "off",
    placeholder: "ご質問を入力してください", "aria-describedby": "fb-hint" });
  var label = el("label", { for: "fb-input", class: "sr-only", text: "質問" });
  var send = el("button", { class: "send", type: "submit", text: "送信" });
  var hint = el("p", { id: "fb-hint", class: "hint", text: "Enterで送信・Shift+Enterで改行" });
  var form = el("form", { class: "composer" }, [label, input, send]);
  var panel = el("section", { id: "fb-panel", class: "panel", role: "dialog", "aria-label": title, hidden: "" }, [
    el("header", { class: "head" }, [el("h2", { text: title }), closeBtn]), chips, log, typing, form, hint,
  ]);
  root.appendChild(style);
  root.appendChild(launcher);
  root.appendChild(panel);
  host.style.setProperty("--fb-color", color);

  // ---------------------------------------------------------------- state
  var selected = [];
  var busy = false;
  var composing = false;

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(kind, children) {
    var node = el("div", { class: "msg " + kind }, children);
    log.appendChild(node);
    scrollDown();
    return node;
  }

  function open(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (focus !== false) input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  // ---------------------------------------------------------------- server
  function request(method, path, body) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 20000) : null;
    return fetch(server + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: ctrl ? ctrl.signal : undefined,
    }).then(function (res) {
      if (timer) clearTimeout(timer);
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) {
          var err = new Error(typeof json.detail === "string" ? json.detail : "エラーが発生しました（" + res.status + "）。");
          err.status = res.status;
          throw err;
        }
        return json;
      });
    }, function () {
      if (timer) clearTimeout(timer);
      var err = new Error("サーバーに接続できません。通信環境をご確認のうえ、もう一度お試しください。");
      err.status = 0;
      throw err;
    });
  }

  // ---------------------------------------------------------------- replies
  function feedbackBar(requestId) {
    var bar = el("div", { class: "feedback", role: "group", "aria-label": "この回答は役に立ちましたか" });
    var thanks = el("span", { class: "thanks", "aria-live": "polite" });
    [["up", "👍", "役に立った"], ["down", "👎", "役に立たなかった"]].forEach(function (f) {
      var b = el("button", { type: "button", class: "rate", "aria-label": f[2], "aria-pressed": "false", "data-rating": f[0],
        text: f[1] });
      b.addEventListener("click", function () {
        request("POST", "/api/feedback", { request_id: requestId, rating: f[0] }).then(function () {
          bar.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
          thanks.textContent = "ご意見ありがとうございます。";
        }, function (err) { thanks.textContent = err.message; });
      });
      bar.appendChild(b);
    });
    bar.appendChild(thanks);
    return bar;
  }

  function showAnswer(question, answer, requestId) {
    bubble("bot answer", [
      question ? el("p", { class: "q", text: "「" + question + "」への回答" }) : null,
      richText(answer),
      feedbackBar(requestId),
    ]);
  }

  function showSuggestions(reply) {
    var none = el("button", { type: "button", class: "suggestion none", text: "どれにも当てはまらない" });
    none.addEventListener("click", function () {
      none.disabled = true;
      showEscalation(reply.escalation || { text: "", contact_url: "" }, null);
    });
    var list = entryButtons(reply.suggestions, reply.request_id, "もしかして");
    list.appendChild(none);
    bubble("bot suggest", [el("p", { text: "もしかして、次のご質問ですか？" }), list]);
  }

  function showSmallTalk(text) {
    bubble("bot smalltalk", [richText(text)]);
  }

  function entryButtons(entries, requestId, label) {
    var list = el("div", { class: "suggestions", role: "group", "aria-label": label });
    entries.forEach(function (s) {
      var b = el("button", { type: "button", class: "suggestion", text: s.question });
      b.addEventListener("click", function () { openEntry(s, requestId); });
      list.appendChild(b);
    });
    return list;
  }

  function showEscalation(esc, reply) {
    var link = /^https?:\/\//.test(esc.contact_url)
      ? el("a", { class: "contact", href: esc.contact_url, target: "_blank", rel: "noopener noreferrer",
        text: "お問い合わせフォームへ" })
      : null;
    var related = reply && reply.related && reply.related.length
      ? [el("p", { class: "related-title", text: "関連するご質問（参考）" }),
        entryButtons(reply.related, reply.request_id, "関連するご質問")]
      : [];
    bubble("bot escalate", [
      el("p", { class: "esc-title", text: "FAQではお答えできませんでした" }), richText(esc.text), link,
    ].concat(related));
  }

  function showError(message, retry) {
    var again = el("button", { type: "button", class: "retry", text: "再試行" });
    var node = bubble("bot error", [el("p", { role: "alert", text: message }), retry ? again : null]);
    again.addEventListener("click", function () { node.remove(); retry(); });
  }

  function setBusy(on) {
    busy = on;
    typing.hidden = !on;
    send.disabled = on;
    if (on) scrollDown();
  }

  function openEntry(s, requestId) {
    bubble("user", [el("p", { text: s.question })]);
    setBusy(true);
    request("GET", "/api/faqs/" + encodeURIComponent(s.id) + "?request_id=" + encodeURIComponent(requestId))
      .then(function (entry) { showAnswer(entry.question, entry.answer, requestId); },
        function (err) { showError(err.message, err.status === 0 ? function () { openEntry(s, requestId); } : null); })
      .then(function () { setBusy(false); });
  }

  function ask(text) {
    setBusy(true);
    var body = { message: text, session_id: sessionId };
    if (selected.length) body.categories = selected.slice();
    request("POST", "/api/chat", body).then(function (reply) {
      if (reply.decision === "answer") showAnswer(reply.entry && reply.entry.question, reply.answer, reply.request_id);
      else if (reply.decision === "suggest") showSuggestions(reply);
      else if (reply.decision === "smalltalk") showSmallTalk(reply.answer);
      else showEscalation(reply.escalation || { text: reply.answer, contact_url: "" }, reply);
    }, function (err) {
      showError(err.message, err.status === 0 || err.status >= 500 ? function () { ask(text); } : null);
    }).then(function () { setBusy(false); });
  }

  function submit() {
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    bubble("user", [el("p", { text: text })]);
    ask(text);
  }

  // ---------------------------------------------------------------- events
  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; });
  input.addEventListener("keydown", function (e) {
    // Enter that confirms a kana-kanji conversion must not send (isComposing; 229 for older Safari).
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || composing || e.keyCode === 229) return;
    e.preventDefault();
    submit();
  });

  function loadCategories() {
    request("GET", "/api/categories").then(function (res) {
      res.categories.forEach(function (c) {
        var chip = el("button", { type: "button", class: "chip", "aria-pressed": "false", text: c });
        chip.addEventListener("click", function () {
          var i = selected.indexOf(c);
          if (i >= 0) selected.splice(i, 1); else selected.push(c);
          chip.setAttribute("aria-pressed", String(i < 0));
        });
        chips.appendChild(chip);
      });
    }, function () { /* chips are optional; the chat itself reports connection errors */ });
  }

  function greet() {
    var list = el("div", { class: "examples", role: "group", "aria-label": "質問の例" });
    examples.forEach(function (q) {
      var b = el("button", { type: "button", class: "example", text: q });
      b.addEventListener("click", function () { input.value = q; submit(); });
      list.appendChild(b);
    });
    bubble("bot greeting", [richText(greeting), examples.length ? el("p", { text: "例えば:" }) : null, list]);
  }

  function start() {
    document.body.appendChild(host);
    greet();
    loadCategories();
    if (data.open === "true") open(false);
  }

  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
