/*
 * faq-bot chat widget. Embed with one tag:
 *   <script src="https://bot.example.com/widget.js" defer
 *           data-server="https://bot.example.com" data-title="サポートチャット"
 *           data-color="#0b5cad" data-greeting="…" data-examples="質問1|質問2"
 *           data-contact="https://example.com/contact" data-max-length="1000"></script>
 * data-contact (optional): the contact form, offered when the bot itself cannot be reached.
 * data-max-length (optional): the server's FAQ_BOT_MAX_MESSAGE_CHARS (default 1000). A longer
 * message is never cut short (its question is often its last sentence): the widget counts and asks
 * the visitor to shorten it. A server with a lower limit says so when it refuses a message, and the
 * widget counts against that limit from then on.
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
  var contactFallback = data.contact || ""; // the way to a person when the server does not answer
  var color = /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#0b5cad";
  var maxChars = /^[1-9]\d*$/.test(data.maxLength || "") ? Number(data.maxLength) : 1000;
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
  // Chips scroll sideways; the fades say there are more, the filter line says which are on.
  var chips = el("div", { class: "chips", role: "toolbar", "aria-label": "分類で絞り込む" });
  /** An arrow on the faded side where more chips are: a click scrolls the row. Named for a screen reader (its
   * glyph is not read); no tab stop, as the keyboard moves along the row with the arrow keys. */
  function chipScroller(side, name, glyph, direction) {
    var b = el("button", { type: "button", class: "scroll " + side, tabindex: "-1", "aria-label": name },
      [el("span", { "aria-hidden": "true", text: glyph })]);
    b.addEventListener("click", function () { chips.scrollLeft += direction * chips.clientWidth * 0.7; });
    return b;
  }
  var chipsWrap = el("div", { class: "chips-wrap", hidden: "" }, [
    chipScroller("prev", "前の分類", "‹", -1), chips, chipScroller("next", "次の分類", "›", 1),
  ]);
  var filterText = el("span", { class: "filter-text" });
  var clearFilter = el("button", { type: "button", class: "clear-filter", "aria-label": "絞り込みを解除", text: "✕" });
  var filterLine = el("div", { class: "filter", hidden: "" }, [filterText, clearFilter]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0",
    "aria-label": "会話" });
  // The dots are for the eyes; a screen reader hears 「回答を作成しています」 from a status region that
  // is always there (text put into it is read; an element that only appears often is not).
  var typing = el("div", { class: "typing", hidden: "", "aria-hidden": "true" }, [
    el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }),
  ]);
  var busyNews = el("span", { class: "sr-only", role: "status" });
  log.appendChild(typing); // last in the conversation, under the message the reply answers (bubble keeps it last)
  var input = el("textarea", { id: "fb-input", rows: "1", autocomplete: "off",
    placeholder: "ご質問を入力してください", "aria-describedby": "fb-count fb-hint" });
  var label = el("label", { for: "fb-input", class: "sr-only", text: "質問" });
  var send = el("button", { class: "send", type: "submit", text: "送信" });
  var hint = el("p", { id: "fb-hint", class: "hint", text: "Enterで送信・Shift+Enterで改行" });
  // The way to a person, always there (not only after 👎 or an escalation): the last reply's contact link, which
  // carries its question, or data-contact before any; hidden while there is none.
  var toPerson = el("a", { class: "to-person", target: "_blank", rel: "noopener noreferrer", hidden: "",
    text: "担当者に問い合わせる" });
  var foot = el("div", { class: "foot" }, [hint, toPerson]);
  var count = el("p", { id: "fb-count", class: "count", hidden: "" });
  // Read out only when the message goes over the limit or a send is held back, not on every key.
  var countNews = el("span", { class: "sr-only", "aria-live": "assertive" });
  var form = el("form", { class: "composer" }, [label, input, send]);
  var panel = el("section", { id: "fb-panel", class: "panel", role: "dialog", "aria-label": title, lang: "ja", hidden: "" }, [
    el("div", { class: "head" }, [el("h2", { text: title }), closeBtn]), chipsWrap, filterLine, log, form, count, countNews, busyNews, foot,
  ]);
  root.appendChild(style);
  root.appendChild(launcher);
  root.appendChild(panel);
  host.style.setProperty("--fb-color", color);

  // ---------------------------------------------------------------- state
  var selected = [];
  var busy = false;
  var composing = false;
  var coarse = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches); // a touch screen
  var covers = window.matchMedia ? window.matchMedia("(max-width: 420px)") : null; // the panel covers the page (widget.css)

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  /** The conversation emptied (to be drawn again): only the typing dots stay, last (``bubble`` puts messages
   * before them). */
  function clearLog() {
    log.textContent = "";
    log.appendChild(typing);
  }

  // The log gets shorter (the box grows with a long message, a line appears under it, a phone is turned
  // sideways): the newest message stays in view if it was before. A visitor reading further up is left there.
  var atEnd = true;
  log.addEventListener("scroll", function () { atEnd = log.scrollHeight - log.clientHeight - log.scrollTop <= 2; });
  function keepEnd() { if (atEnd) scrollDown(); }
  if (window.ResizeObserver) new ResizeObserver(keepEnd).observe(log);
  else window.addEventListener("resize", keepEnd); // an older browser: the window's changes at least

  /** Focus back to the conversation after a button that starts a reply: the box, or on a touch
   * screen the log (no keyboard popping up over the reply). */
  function resume() { (coarse ? log : input).focus({ preventScroll: true }); }

  /** A long reply opens at its start: the visitor's question above it and its first lines in view. */
  function showStart(node) {
    var prev = node.previousElementSibling;
    var anchor = prev && prev.classList.contains("user") && prev.offsetHeight < log.clientHeight / 2 ? prev : node;
    log.scrollTop += anchor.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
  }

  /** A message; a screen reader hears who speaks first (the greeting opens the log: no label). */
  function bubble(kind, children) {
    var speaker = kind === "user" ? "あなた：" : kind === "bot greeting" ? "" : "回答：";
    var node = el("div", { class: "msg " + kind }, [speaker ? el("span", { class: "sr-only", text: speaker }) : null]
      .concat(children));
    log.insertBefore(node, typing.parentNode === log ? typing : null); // the typing dots stay last
    if (/^bot/.test(kind)) showStart(node); else scrollDown();
    return node;
  }

  /** The visitor's message. Kept for the next page only with its reply (``remember`` in the reply's
   * show… function): a question whose reply never came (the visitor left, an error) is not drawn again. */
  function userBubble(text) {
    pendingUser = text;
    return bubble("user", [el("p", { text: text })]);
  }

  // ---------------------------------------------------------------- this tab's conversation
  // Kept in the tab's sessionStorage, so that the visitor who moves to another page of the site finds the
  // conversation, and the panel open or closed, as they left it. Without storage (blocked, full) the widget
  // starts afresh on each page, as it always did.
  var KEPT = "faq-bot:" + server;
  var MAX_KEPT = 40; // the last questions and replies, not the whole day's
  var SESSION_ID = /^[\w-]{1,100}$/; // what the API accepts
  var replaying = false;
  var pendingUser = null; // the visitor's message waiting for its reply
  var needsScroll = false; // a replay drawn while the panel was hidden: scroll to its end when shown
  var kept = null;
  var history = [];

  function readKept() {
    try {
      var value = JSON.parse(window.sessionStorage.getItem(KEPT) || "null");
      kept = value && typeof value === "object" && Array.isArray(value.history) ? value : null;
    } catch (e) { kept = null; }
    history = kept ? kept.history.slice(-MAX_KEPT) : [];
    if (kept && typeof kept.session === "string" && SESSION_ID.test(kept.session)) sessionId = kept.session; // one conversation in the log
  }

  function save() {
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify({ session: sessionId, open: !panel.hidden, history: history }));
    } catch (e) {
      // Storage off or full: no older copy left behind to be drawn on the next page instead.
      try { window.sessionStorage.removeItem(KEPT); } catch (e2) { /* nothing kept at all */ }
    }
  }

  /** Keep one reply (with the visitor's message it answers, if any) for the next page. */
  function remember(item) {
    if (replaying) return item;
    if (pendingUser !== null) { history.push({ user: pendingUser }); pendingUser = null; }
    history.push(item);
    if (history.length > MAX_KEPT) history = history.slice(-MAX_KEPT);
    save();
    return item;
  }

  function isReply(r) { return !!r && typeof r === "object" && typeof r.request_id === "string"; }
  function isText(t) { return typeof t === "string"; }

  /** The kept conversation, drawn again as it was (its buttons work as before; nothing is sent). Items
   * that are not what this version writes are skipped. */
  function replay() {
    replaying = true;
    try {
      history.forEach(function (h) {
        if (!h || typeof h !== "object") return;
        if (isText(h.user)) userBubble(h.user);
        else if (Array.isArray(h.answer) && isReply(h.answer[1]) && isText(h.answer[1].answer)) {
          showAnswer(isText(h.answer[0]) ? h.answer[0] : null, h.answer[1], h);
        } else if (isReply(h.suggest) && Array.isArray(h.suggest.suggestions)) showSuggestions(h.suggest, h);
        else if (isText(h.smalltalk)) showSmallTalk(h.smalltalk, isText(h.contact) ? h.contact : "");
        else if (Array.isArray(h.escalate) && h.escalate[0] && isText(h.escalate[0].text)) {
          showEscalation(h.escalate[0], h.escalate[1], h);
        }
      });
    } catch (e) {
      history = []; // written by another version of the widget: start afresh
      clearLog();
      greet();
    }
    replaying = false;
    pendingUser = null;
    needsScroll = history.length > 0;
    scrollDown();
  }

  /** The conversation as stored now (this page shown again from the browser's back/forward cache: another
   * page of the tab may have added to it meanwhile). */
  function restore() {
    var drawn = history;
    readKept();
    if (JSON.stringify(history) === JSON.stringify(drawn)) {
      history = drawn; // what is on screen stays (a half-typed comment, too), its buttons writing to these records
    } else {
      clearLog();
      greet();
      replay();
    }
    var wantOpen = kept && typeof kept.open === "boolean" ? kept.open : !panel.hidden;
    if (wantOpen && panel.hidden) open(false);
    else if (!wantOpen && !panel.hidden) { // closed on another page: closed here too, the focus left where it is
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", title + "を開く");
    }
  }

  function open(focus) {
    panel.hidden = false;
    markModal();
    loadCategories(); // if they failed to come before
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", title + "を閉じる");
    updateCues();
    if (needsScroll) { needsScroll = false; scrollDown(); } // where the visitor left off, not the greeting
    save();
    if (focus !== false) resume(); // on a phone the log, not the box: no keyboard over the conversation
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", title + "を開く");
    save();
    launcher.focus();
  }

  // ---------------------------------------------------------------- server
  // A failure the server did not explain (a crash, a proxy's error page): no status code for the visitor.
  var UNANSWERED = contactFallback
    ? "ただいま応答できませんでした。もう一度お試しいただくか、お問い合わせフォームからご連絡ください。"
    : "ただいま応答できませんでした。しばらくしてからもう一度お試しください。";

  // Japanese as the server writes it: with kana (a Chinese proxy's 「服务不可用」 has kanji only).
  var JAPANESE = /[\u3040-\u30ff\uff66-\uff9f]/;  // kana, half-width katakana too
  // No reply within 20 seconds: the server is slow (or hangs), the visitor's connection is not to blame.
  var SLOW = "応答に時間がかかっています。しばらくしてからもう一度お試しください。";

  function request(method, path, body) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 20000) : null;
    function late() { return !!ctrl && ctrl.signal.aborted; }
    return fetch(server + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: ctrl ? ctrl.signal : undefined,
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) { // the timeout covers the body too
        if (timer) clearTimeout(timer);
        if (!res.ok) {
          // The server's own errors are written for visitors (in Japanese); a proxy's or a framework's words
          // (「Service Unavailable」, 「Not Found」) are not shown as they are.
          var told = json && typeof json.detail === "string" && JAPANESE.test(json.detail) ? json.detail : UNANSWERED;
          var err = new Error(told);
          err.status = res.status;
          if (res.status === 422 && json && Number.isInteger(json.max_chars) && json.max_chars >= 1) err.maxChars = json.max_chars;
          throw err;
        }
        if (json === null) { // cut off on the way (a server that stopped mid-reply), or too slow: worth another try
          var cut = new Error(late() ? SLOW : "サーバーからの応答が途中で切れました。もう一度お試しください。");
          cut.status = 0;
          throw cut;
        }
        return json;
      });
    }, function () {
      if (timer) clearTimeout(timer);
      var err = new Error(late() ? SLOW : "サーバーに接続できませんでした。しばらくしてから、もう一度お試しください。");
      err.status = 0;
      throw err;
    });
  }

  // ---------------------------------------------------------------- replies
  /** The footer's way to a person follows the conversation: its latest contact link (an http(s) one only). */
  function setContact(url) {
    if (!isHttp(url)) return;
    toPerson.href = url;
    toPerson.hidden = false;
  }
  setContact(contactFallback);

  function isHttp(url) { return /^https?:\/\//.test(url || ""); }

  function contactLink(url) {
    return isHttp(url)
      ? el("a", { class: "contact", href: url, target: "_blank", rel: "noopener noreferrer", text: "お問い合わせフォームへ" })
      : null;
  }

  /** After 👎: a short comment box (``withBox``) and the way to a person. */
  function afterThumbsDown(requestId, contactUrl, withBox) {
    var box = el("textarea", { class: "comment", rows: "2", maxlength: "1000", "aria-label": "ご意見（任意）",
      placeholder: "分かりにくかった点をお聞かせください（任意）" });
    var sendComment = el("button", { type: "submit", class: "send-comment", text: "送信" });
    var status = el("span", { class: "thanks", "aria-live": "polite" });
    var form = el("form", { class: "comment-form" }, [box, sendComment]);
    box.addEventListener("keydown", function (e) { // Enter sends, Shift+Enter breaks the line: as in the main box
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      if (!e.repeat && !sendComment.disabled) sendComment.click(); // a held Enter sends once
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!box.value.trim()) { status.textContent = "コメントを入力してから送信してください。"; box.focus(); return; }
      sendComment.disabled = true; // once, however often it is pressed while it travels
      request("POST", "/api/feedback", { request_id: requestId, rating: "down", comment: box.value.trim() })
        .then(function () { form.remove(); resume(); status.textContent = "コメントを送信しました。"; },
          function (err) { sendComment.disabled = false; status.textContent = err.message; });
    });
    var link = contactLink(contactUrl);
    return el("div", { class: "after-down" }, [
      withBox ? form : null, status, link ? el("p", { class: "contact-note", text: "解決しない場合は、担当者がお答えします。" }) : null, link,
    ]);
  }

  /** 👍/👎 under an answer; ``state`` (its kept record) keeps the rating for the next page. */
  function feedbackBar(requestId, contactUrl, linkShown, state) {
    var bar = el("div", { class: "feedback", role: "group", "aria-label": "この回答は役に立ちましたか" });
    var thanks = el("span", { class: "thanks", "aria-live": "polite" });
    var wrap = el("div", { class: "feedback-wrap" }, [bar]);
    var extra = null;
    [["up", "👍", "役に立った"], ["down", "👎", "役に立たなかった"]].forEach(function (f) {
      var b = el("button", { type: "button", class: "rate", "aria-label": f[2], "aria-pressed": "false", "data-rating": f[0],
        text: f[1] });
      if (state.rating === f[0]) b.setAttribute("aria-pressed", "true"); // as rated on an earlier page
      b.addEventListener("click", function () {
        request("POST", "/api/feedback", { request_id: requestId, rating: f[0] }).then(function () {
          bar.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
          state.rating = f[0];
          save();
          thanks.textContent = "ご意見ありがとうございます。";
          // (👎 again under one rated on an earlier page, where only the way to a person was kept: the box too)
          if (f[0] === "down" && !(extra && extra.querySelector("form"))) {
            if (extra) extra.remove();
            extra = afterThumbsDown(requestId, linkShown ? "" : contactUrl, true);
            wrap.appendChild(extra);
            // On a touch screen the box waits for a tap: focusing it would pop the keyboard up over the answer.
            if (!coarse) extra.querySelector("textarea").focus({ preventScroll: true });
            extra.scrollIntoView({ block: "nearest" }); // the box and the way to a person, not half of it
          } else if (f[0] === "up" && extra) { extra.remove(); extra = null; }
        }, function (err) {
          // A rating is a click, not a message: a short word that it did not arrive, and to press again.
          thanks.textContent = err.status === 0 ? "送信できませんでした。もう一度押してください。" : err.message;
        });
      });
      bar.appendChild(b);
    });
    bar.appendChild(thanks);
    // Rated 👎 on an earlier page: the way to a person stays (the comment box, optional, was there to use).
    if (state.rating === "down" && !linkShown && contactLink(contactUrl)) {
      extra = afterThumbsDown(requestId, contactUrl, false);
      wrap.appendChild(extra);
    }
    return wrap;
  }

  function showAnswer(question, reply, item) {
    var state = item || remember({ answer: [question, reply] });
    setContact(reply.contact_url);
    bubble("bot answer", [
      question ? el("p", { class: "q", text: "「" + question + "」への回答" }) : null,
      richText(reply.answer),
      reply.refers_to_contact ? contactLink(reply.contact_url) : null,
      feedbackBar(reply.request_id, reply.contact_url, reply.refers_to_contact && !!contactLink(reply.contact_url), state),
    ]);
  }

  /** もしかして. ``item``: its kept record (replayed), which also keeps whether a candidate was opened
   * and whether 「どれにも当てはまらない」 was chosen. */
  function showSuggestions(reply, item) {
    var state = item || remember({ suggest: reply });
    setContact(reply.contact_url || (reply.escalation && reply.escalation.contact_url));
    var none = el("button", { type: "button", class: "suggestion none", text: "どれにも当てはまらない" });
    none.disabled = !!state.none;
    none.addEventListener("click", function () {
      none.disabled = true;
      state.none = true;
      save();
      // Told to the log as a 👎 on the candidates (staff see they were read and none fitted), unless one was
      // opened: the reply's rating is then that answer's. The way to a person is shown whatever the answer.
      if (!state.opened) {
        request("POST", "/api/feedback", { request_id: reply.request_id, rating: "down" }).then(null, function () {});
      }
      var node = showEscalation(reply.escalation || { text: "", contact_url: "" }, { question: reply.question,
        categories: reply.categories });
      // The button is gone for the keyboard: focus goes on to the way to a person (or back to the box).
      (node.querySelector("a.contact, button.everywhere") || input).focus({ preventScroll: true });
    });
    var list = entryButtons(reply.suggestions, reply.request_id, "もしかして", function () { state.opened = true; save(); });
    list.appendChild(none);
    var everywhere = everywhereButton(reply, state);
    bubble("bot suggest", [el("p", { text: "もしかして、次のご質問ですか？" }), list,
      everywhere ? el("div", { class: "actions" }, [everywhere]) : null]);
  }

  /** Asked inside a category filter: the answer may be in another category. Asks again without it. */
  function everywhereButton(reply, state) {
    if (!(reply && reply.categories && reply.categories.length && reply.question)) return null;
    var b = el("button", { type: "button", class: "everywhere", text: "全ての分類で探す" });
    b.disabled = !!state.everywhere; // used once already, on this page or an earlier one
    b.addEventListener("click", function () {
      b.disabled = true;
      state.everywhere = true;
      save();
      resume(); // the question is asked again, its reply comes below
      setSelected([]);
      ask(reply.question, userBubble(reply.question));
    });
    return b;
  }

  /** A greeting, thanks or "who are you?": its reply, with the way to a person when the reply names the form. */
  function showSmallTalk(text, contactUrl) {
    remember(contactUrl ? { smalltalk: text, contact: contactUrl } : { smalltalk: text });
    bubble("bot smalltalk", [richText(text), contactUrl ? contactLink(contactUrl) : null]);
  }

  function entryButtons(entries, requestId, label, onOpen) {
    var list = el("div", { class: "suggestions", role: "group", "aria-label": label });
    entries.forEach(function (s) {
      var b = el("button", { type: "button", class: "suggestion", text: s.question });
      b.addEventListener("click", function () { if (onOpen) onOpen(); openEntry(s, requestId); });
      list.appendChild(b);
    });
    return list;
  }

  function showEscalation(esc, reply, item) {
    var state = item || remember({ escalate: [esc, reply] });
    setContact(esc.contact_url);
    var related = reply && reply.related && reply.related.length
      ? [el("p", { class: "related-title", text: "関連するご質問（参考）" }),
        entryButtons(reply.related, reply.request_id, "関連するご質問")]
      : [];
    var everywhere = everywhereButton(reply, state);
    // Asked inside a filter: said so, and all categories searched first (the answer may well be in another one).
    return bubble("bot escalate", [
      el("p", { class: "esc-title", text: everywhere
        ? "選んだ分類（" + reply.categories.join("、") + "）では見つかりませんでした。" : "FAQではお答えできませんでした" }),
      everywhere ? el("div", { class: "actions" }, [everywhere]) : null, richText(esc.text),
      el("div", { class: "actions" }, [contactLink(esc.contact_url)]),
    ].concat(related));
  }

  function showError(message, retry) {
    if (!retry) pendingUser = null; // refused (too long, too often): that message is not kept for the next page
    var again = el("button", { type: "button", class: "retry", text: "再試行" });
    var node = bubble("bot error", [el("p", { role: "alert", text: message }), retry ? again : null,
      contactLink(contactFallback)]);
    again.addEventListener("click", function () { node.remove(); input.focus({ preventScroll: true }); retry(); });
  }

  function setBusy(on) {
    busy = on;
    typing.hidden = !on;
    busyNews.textContent = on ? "回答を作成しています" : "";
    // aria-disabled, not disabled: a disabled button drops the focus to the page (a click or Enter on
    // 送信 would leave the keyboard outside the widget); while busy, submit() ignores it.
    send.setAttribute("aria-disabled", on ? "true" : "false");
    if (on) { scrollDown(); return; }
    updateCount(); // the counter line again (it may have said to wait)
    // The reply is in: from 送信, focus goes where it goes after Enter in the box (see resume()).
    if (root.activeElement === send) resume();
  }

  function openEntry(s, requestId) {
    userBubble(s.question);
    fetchEntry(s, requestId);
  }

  /** The answer of an entry opened from a button (again with 再試行: the question is in the log already). */
  function fetchEntry(s, requestId) {
    setBusy(true);
    request("GET", "/api/faqs/" + encodeURIComponent(s.id) + "?request_id=" + encodeURIComponent(requestId))
      .then(function (entry) {
        entry.request_id = requestId;
        // The visitor's bubble already shows the question opened: no 「…」への回答 heading repeating it.
        showAnswer(entry.question === s.question ? null : entry.question, entry);
        resume(); // as after a typed question (the answer's rating is one Shift+Tab away)
      },
        function (err) { showError(err.message, err.status === 0 ? function () { fetchEntry(s, requestId); } : null); })
      .then(function () { setBusy(false); });
  }

  /** True when two questions read the same (width, white space and the punctuation around them aside): the answer
   * to what the visitor typed, word for word the entry's question, needs no 「…」への回答 heading repeating it. */
  function sameQuestion(a, b) {
    function key(t) {
      // (ASCII punctuation and the CJK marks: after NFKC, ？ and ！ are ASCII; 。「」 are U+3000-303F)
      return String(t || "").normalize("NFKC").toLowerCase().replace(/\s+/g, "")
        .replace(/^[!-\/:-@\[-`{-~\u3000-\u303f]+|[!-\/:-@\[-`{-~\u3000-\u303f]+$/g, "");
    }
    return !!a && key(a) === key(b);
  }

  /** ``mine``: the visitor's bubble of this question. */
  function ask(text, mine) {
    setBusy(true);
    var body = { message: text, session_id: sessionId };
    if (selected.length) body.categories = selected.slice();
    request("POST", "/api/chat", body).then(function (reply) {
      loadCategories(); // the server answers again: the chips too, if they failed to come before
      reply.question = text;
      reply.categories = body.categories || [];
      var entryQuestion = reply.entry && reply.entry.question;
      if (reply.decision === "answer") showAnswer(sameQuestion(entryQuestion, text) ? null : entryQuestion, reply);
      else if (reply.decision === "suggest") showSuggestions(reply);
      else if (reply.decision === "smalltalk") showSmallTalk(reply.answer, reply.refers_to_contact ? reply.contact_url : "");
      else showEscalation(reply.escalation || { text: reply.answer, contact_url: "" }, reply);
    }, function (err) {
      // Asked too often, or longer than this server takes: the question waits in the box (and the
      // counter counts against the server's limit from now on, whatever data-max-length said).
      if (err.maxChars) maxChars = Math.min(maxChars, err.maxChars);
      // Back in the box, it is no longer in the log: sent again, it is shown once.
      if ((err.status === 429 || err.status === 422) && !input.value) {
        input.value = text;
        updateCount();
        if (mine) mine.remove();
      }
      showError(err.message, err.status === 0 || err.status >= 500 ? function () { ask(text, mine); } : null);
    }).then(function () { setBusy(false); });
  }

  /** Characters as the server counts them (code points: an emoji is one). */
  function length(text) { return Array.from ? Array.from(text).length : text.length; }

  var wasOver = false;

  /** The box grows with the message (up to its CSS max-height, then it scrolls): a long message
   * that must be shortened stays in view. */
  function fit() {
    input.style.height = "auto";
    input.style.height = input.scrollHeight + 2 + "px"; // + the borders (border-box)
  }

  /** Near the limit, what is left; over it, how much too long (sending waits until it fits).
   * ``announce``: say it again (a send held back). */
  function updateCount(announce) {
    fit();
    var n = length(input.value.trim());
    var over = n > maxChars;
    var near = n > maxChars * 0.8;
    var tooLong = "メッセージが長すぎます（" + n + " / " + maxChars + "文字）。短くしてから送信してください。";
    count.hidden = !near;
    count.classList.toggle("over", over);
    count.textContent = !near ? "" : over ? tooLong : "残り" + (maxChars - n) + "文字"; // hidden: nothing to describe
    if (over) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    if (over && (announce || !wasOver)) {
      countNews.textContent = "";
      setTimeout(function () { countNews.textContent = tooLong; }, 50); // a new text: read again
    }
    wasOver = over;
    return !over;
  }

  /** Why nothing was sent, under the box and read out; the counter line again once the visitor types. */
  function tell(text) {
    count.hidden = false;
    count.textContent = text;
    countNews.textContent = "";
    setTimeout(function () { countNews.textContent = text; }, 50); // a new text: read again
  }

  function submit() {
    var text = input.value.trim();
    if (!text) { // nothing, or only spaces and line breaks: the box emptied, and a word on what it wants
      input.value = "";
      updateCount();
      tell("ご質問を入力してください。");
      input.focus({ preventScroll: true });
      return;
    }
    if (busy) { // the message waits in the box: say why nothing happened
      tell("前のご質問への回答を作成しています。表示されてから送信してください。");
      return;
    }
    if (!updateCount(true)) { input.focus(); return; }
    input.value = "";
    updateCount();
    ask(text, userBubble(text));
  }

  // ---------------------------------------------------------------- events
  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  // (on the launcher too, while the panel beside it is open: where the focus is after opening it with a click)
  launcher.addEventListener("keydown", function (e) { if (e.key === "Escape" && !panel.hidden) close(); });
  // On a phone the open panel covers the page, a modal dialog: Tab goes round the panel (its × closes
  // it), and focus that lands on the page hidden behind it comes back to the input.
  function modal() { return !panel.hidden && !!covers && covers.matches; }
  function markModal() { panel.setAttribute("aria-modal", modal() ? "true" : "false"); }
  panel.addEventListener("keydown", function (e) {
    if (e.key !== "Tab" || !modal()) return;
    var stops = Array.prototype.filter.call(
      panel.querySelectorAll("button, a[href], textarea, input, select, [tabindex]"),
      function (n) { return n.tabIndex >= 0 && !n.disabled && n.getClientRects().length > 0; });
    var at = stops.indexOf(root.activeElement || document.activeElement);
    var to = e.shiftKey ? (at <= 0 ? stops.length - 1 : -1) : (at === stops.length - 1 ? 0 : -1);
    if (to >= 0) { e.preventDefault(); stops[to].focus(); }
  });
  document.addEventListener("focusin", function (e) {
    if (modal() && e.target !== host && !host.contains(e.target)) input.focus();
  });
  if (covers) {
    if (covers.addEventListener) covers.addEventListener("change", markModal);
    else if (covers.addListener) covers.addListener(markModal); // older Safari
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  // Not while a kana-kanji conversion is under way: its reading is longer than the word it becomes.
  input.addEventListener("input", function (e) { if (!composing && !e.isComposing) updateCount(); else fit(); });
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; updateCount(); });
  input.addEventListener("keydown", function (e) {
    // Enter that confirms a kana-kanji conversion must not send (isComposing; 229 for older Safari).
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || composing || e.keyCode === 229) return;
    e.preventDefault();
    submit();
  });

  // ---------------------------------------------------------------- category chips
  function chipList() { return Array.prototype.slice.call(chips.querySelectorAll(".chip")); }

  function setSelected(list) {
    selected = list.slice();
    chipList().forEach(function (chip) {
      chip.setAttribute("aria-pressed", String(selected.indexOf(chip.dataset.category) >= 0));
    });
    filterLine.hidden = !selected.length;
    filterText.textContent = "絞り込み中：" + selected.join("、");
  }

  /** Keep a chip inside the visible part of the row. */
  function reveal(chip) {
    var left = chip.offsetLeft - chips.offsetLeft;
    if (left < chips.scrollLeft + 24) chips.scrollLeft = left - 24;
    else if (left + chip.offsetWidth > chips.scrollLeft + chips.clientWidth - 24) {
      chips.scrollLeft = left + chip.offsetWidth - chips.clientWidth + 24;
    }
    updateCues();
  }

  function updateCues() {
    chipsWrap.classList.toggle("more-left", chips.scrollLeft > 1);
    chipsWrap.classList.toggle("more-right", chips.scrollLeft + chips.clientWidth < chips.scrollWidth - 1);
  }

  /** One tab stop for the whole row (arrow keys move between chips), so the input is a Tab or two away. */
  function rove(chip) {
    chipList().forEach(function (c) { c.tabIndex = c === chip ? 0 : -1; });
  }

  var chipsAsked = false; // the categories asked for (and not failed): asked once per page

  /** The chips. Failed (the server or the network down for a moment), they are asked for again when the
   * panel is opened again and after the next reply. */
  function loadCategories() {
    if (chipsAsked) return;
    chipsAsked = true;
    request("GET", "/api/categories").then(function (res) {
      res.categories.forEach(function (c) {
        var chip = el("button", { type: "button", class: "chip", "aria-pressed": "false", "data-category": c,
          tabindex: "-1", text: c });
        chip.addEventListener("click", function () {
          var next = selected.slice();
          var i = next.indexOf(c);
          if (i >= 0) next.splice(i, 1); else next.push(c);
          setSelected(next);
          rove(chip);
          reveal(chip);
        });
        chips.appendChild(chip);
      });
      var first = chipList()[0];
      var atEnd = log.scrollHeight - log.clientHeight - log.scrollTop <= 2;
      if (first) { first.tabIndex = 0; chipsWrap.hidden = false; updateCues(); }
      if (atEnd) scrollDown(); // the row of chips took some of the log's height: still at its end

    }, function () { chipsAsked = false; /* chips are optional; the chat itself reports connection errors */ });
  }

  chips.addEventListener("scroll", updateCues);
  chips.addEventListener("keydown", function (e) {
    var list = chipList();
    var i = list.indexOf(e.target);
    if (i < 0) return;
    var to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    var chip = list[Math.max(0, Math.min(list.length - 1, to))];
    rove(chip);
    chip.focus();
    reveal(chip);
  });
  clearFilter.addEventListener("click", function () { setSelected([]); input.focus(); });
  window.addEventListener("resize", updateCues);

  function greet() {
    var list = el("div", { class: "examples", role: "group", "aria-label": "質問の例" });
    examples.forEach(function (q) {
      var b = el("button", { type: "button", class: "example", text: q });
      // While a reply is being made, what the visitor typed stays in the box (submit() says to wait).
      b.addEventListener("click", function () { if (!busy) input.value = q; submit(); resume(); });
      list.appendChild(b);
    });
    bubble("bot greeting", [richText(greeting), examples.length ? el("p", { text: "例えば：" }) : null, list]);
  }

  function start() {
    document.body.appendChild(host);
    readKept();
    greet();
    replay();
    loadCategories();
    // data-open opens the panel on a first visit, but not on a phone, where it would cover the whole page; after
    // that, it stays as the visitor left it.
    var phone = window.matchMedia && window.matchMedia("(max-width: 420px)").matches;
    if (kept && typeof kept.open === "boolean" ? kept.open : data.open === "true" && !phone) open(false);
    window.addEventListener("pageshow", function (e) { if (e.persisted) restore(); });
    // Laid out only once the stylesheet is in: a kept conversation scrolled to its end before has to be again.
    style.addEventListener("load", function () { if (history.length) scrollDown(); updateCues(); });
  }

  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
