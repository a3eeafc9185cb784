/*
 * The admin pages' few scripts. Every page works without them; no inline scripts (the pages' CSP).
 *
 * Drafts of the entry editor (form[data-draft]): what is typed is kept in this tab's sessionStorage until it
 * is published. A session that ends while an editor types sends the form to the login page, which cannot keep
 * it (a form without a session is never read); after logging in, the entry's page puts the draft back and
 * says so. A reload or a page closed by mistake loses nothing either. The page that says an entry was
 * published names its draft ([data-draft-done]), which then goes. A draft remembers the entry it was typed
 * over (data-draft-base: the entry's fingerprint): if someone else published the entry since, the page asks
 * before it restores.
 *
 * The question log (input[data-entry-pick]): the hint under 「追加先のFAQ番号」 says which entry the number
 * typed is, by its question.
 */
(function () {
  "use strict";

  var PREFIX = "faq-bot:draft:";

  function sessionStore() {
    try {
      var store = window.sessionStorage;
      store.getItem(PREFIX); // throws where the browser blocks storage
      return store;
    } catch (e) {
      return null;
    }
  }

  function readDraft(store, key) {
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      return draft && typeof draft.values === "object" && draft.values !== null ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function clock(ms) {
    var d = new Date(ms);
    if (isNaN(d.getTime())) return "";
    var minutes = String(d.getMinutes());
    return d.getMonth() + 1 + "月" + d.getDate() + "日 " + d.getHours() + ":" + (minutes.length < 2 ? "0" : "") + minutes;
  }

  // A notice above the form: a sentence and its buttons ([label, action] pairs).
  function say(box, warn, text, buttons) {
    box.className = warn ? "warn draft" : "notice draft";
    box.setAttribute("role", warn ? "alert" : "status");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b[0];
      button.addEventListener("click", b[1]);
      box.appendChild(button);
      box.appendChild(document.createTextNode(" "));
    });
    box.hidden = false;
  }

  function keepDrafts() {
    var store = sessionStore();
    if (!store) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-draft-done]"), function (done) {
      store.removeItem(PREFIX + done.getAttribute("data-draft-done"));
    });
    var form = document.querySelector("form[data-draft]");
    if (!form) return;
    var key = PREFIX + form.getAttribute("data-draft");
    var base = form.getAttribute("data-draft-base") || "";
    // The page shows the form as the editor sent it (a preview, its problems): that is the latest edit.
    var sent = form.hasAttribute("data-draft-sent");
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return el.name && (el.tagName === "TEXTAREA" || el.type === "text");
    });

    function values() {
      var out = {};
      fields.forEach(function (el) {
        out[el.name] = el.value;
      });
      return out;
    }
    function fill(v) {
      fields.forEach(function (el) {
        if (typeof v[el.name] === "string") el.value = v[el.name];
      });
    }
    function same(a, b) {
      return fields.every(function (el) {
        return (a[el.name] || "") === (b[el.name] || "");
      });
    }

    var shown = values(); // what the server put in the form
    function save() {
      var now = values();
      if (!sent && same(now, shown)) {
        store.removeItem(key); // the entry as it is published: nothing to keep
        return;
      }
      try {
        store.setItem(key, JSON.stringify({ values: now, base: base, at: Date.now() }));
      } catch (e) {
        // storage full: the form still holds the text
      }
    }
    form.addEventListener("input", save);
    form.addEventListener("submit", save);

    var draft = readDraft(store, key);
    if (sent) {
      save();
      return;
    }
    if (!draft) return;
    if (same(draft.values, shown)) {
      store.removeItem(key);
      return;
    }
    var box = document.createElement("div");
    box.hidden = true;
    form.parentNode.insertBefore(box, form);
    var typed = clock(draft.at) ? "（" + clock(draft.at) + "の入力）" : "";

    function restore(message) {
      fill(draft.values);
      save(); // kept on, now over the entry this page shows
      say(box, false, message, [
        [
          "復元を取り消す（公開中の内容に戻す）",
          function () {
            fill(shown);
            store.removeItem(key);
            say(box, false, "公開中の内容に戻しました。保存されていなかった編集内容は破棄しました。", []);
          },
        ],
      ]);
    }

    if (draft.base === base) {
      restore(
        "保存されていない編集内容" + typed + "を復元しました。まだ公開されていません。" +
          "「差分と回帰テストを確認」から確認して公開してください。"
      );
      return;
    }
    say(
      box,
      true,
      "保存されていない編集内容" + typed + "があります。ただし、そのあとでこのFAQは別の人の公開で変わっています" +
        "（下のフォームは今の公開内容です）。編集内容を復元しますか？",
      [
        [
          "編集内容を復元する",
          function () {
            restore("編集内容を復元しました。まだ公開されていません。別の人の変更と見比べてから確認してください。");
          },
        ],
        [
          "破棄する",
          function () {
            store.removeItem(key);
            say(box, false, "保存されていなかった編集内容を破棄しました。", []);
          },
        ],
      ]
    );
  }

  function nameEntries() {
    var picks = document.querySelectorAll("input[data-entry-pick]");
    if (!picks.length) return;
    var labels = null; // id -> "id: question", from the shared datalist, read once when first needed
    function label(id) {
      if (labels === null) {
        labels = {};
        var list = document.getElementById(picks[0].getAttribute("list"));
        Array.prototype.forEach.call(list ? list.options : [], function (o) {
          labels[o.value] = o.textContent;
        });
      }
      return Object.prototype.hasOwnProperty.call(labels, id) ? labels[id] : null;
    }
    Array.prototype.forEach.call(picks, function (input) {
      var hint = document.getElementById(input.getAttribute("aria-describedby"));
      if (!hint) return;
      var first = { value: input.value, text: hint.textContent };
      input.addEventListener("input", function () {
        var id = input.value.trim();
        if (id === first.value) hint.textContent = first.text;
        else if (!id) hint.textContent = "";
        else if (label(id) !== null) hint.textContent = "追加先: " + label(id);
        else hint.textContent = "一覧にないFAQ番号です（番号か質問の一部を入力すると候補が出ます）";
      });
    });
  }

  keepDrafts();
  nameEntries();
})();
