/*
 * The admin pages' few scripts. Every page works without them; no inline scripts (the pages' CSP).
 *
 * Drafts of the entry editor (form[data-draft]): what is typed is kept in this tab's sessionStorage until it
 * is published. A session that ends while an editor types sends the form to the login page, which cannot keep
 * it (a form without a session is never read); after logging in, the entry's page puts the draft back and
 * says so. A reload or a page closed by mistake loses nothing either. The page that says an entry was
 * published names its draft ([data-draft-done]), which then goes. A draft remembers the entry it was typed
 * over (data-draft-base: the entry's fingerprint): if someone else published the entry since, the page asks
 * before it restores. An explicit logout ends the tab's drafts ([data-drafts-end] on the login page it leads to):
 * on a shared PC the next editor must not be offered the last one's text. A session that merely ended keeps
 * them: that is what they are for.
 *
 * A preview's 公開 (form[data-publish-previewed]) publishes the file that was previewed, not the form above it:
 * once the form says something else, the button is held back (aria-disabled) and a notice asks for a new
 * preview; the form back at the previewed text, it works again. A draft remembers what its page's 公開 sent
 * (published): the page that says it was published drops the draft only if nothing else was typed since, and
 * the entry's page then puts that later text back as a draft over the entry this tab published.
 *
 * Result tables (table[data-sortable], the batch test's 結果一覧): a press on a column's heading sorts by it.
 *
 * The question log (input[data-entry-pick]): the hint under 「追加先のFAQ番号」 says which entry the number
 * typed is, by its question, worded as the server words the entry it pre-selects. A new entry made from a group
 * adds the group's other wordings to its alternates with a button each (li[data-wording]).
 *
 * A long action's page (main .result: its progress streamed, then what it did) is titled with what it did, not with
 * what it was doing (「公開しています」): the heading of its notice, rollback or preview, else its first message, else
 * its first heading.
 *
 * (The history address of a page that answers a form is history.js's, loaded before the page's content.)
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

  // Two drafts' values alike (a field missing is an empty one).
  function sameValues(a, b) {
    return Object.keys(a)
      .concat(Object.keys(b))
      .every(function (name) {
        return (a[name] || "") === (b[name] || "");
      });
  }

  function keepDrafts() {
    var store = sessionStore();
    if (!store) return;
    if (document.querySelector("[data-drafts-end]")) {
      // backwards: removing a key renumbers the ones after it
      for (var i = store.length - 1; i >= 0; i--) {
        var name = store.key(i);
        if (name && name.indexOf(PREFIX) === 0) store.removeItem(name);
      }
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-draft-done]"), function (done) {
      var doneKey = PREFIX + done.getAttribute("data-draft-done");
      var kept = readDraft(store, doneKey);
      // typed after the preview that was published (while it was being sent): not published, still a draft
      if (kept && kept.published && !sameValues(kept.values, kept.published)) return;
      store.removeItem(doneKey);
    });
    var form = document.querySelector("form[data-draft]");
    if (!form) return;
    var key = PREFIX + form.getAttribute("data-draft");
    // A new entry's form (written from scratch or from a logged question): nothing of it is published yet.
    var fresh = form.getAttribute("data-draft").indexOf("new") === 0;
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
    var published = null; // the previewed text this page's 公開 sent, once it is sent
    // at: when the text was typed, which a later restore names (not when it was last put back)
    function keep(at) {
      var now = values();
      if (!sent && same(now, shown)) {
        store.removeItem(key); // the entry as it is published: nothing to keep
        return;
      }
      var kept = { values: now, base: base, at: at };
      if (published) kept.published = published;
      try {
        store.setItem(key, JSON.stringify(kept));
      } catch (e) {
        // storage full: the form still holds the text
      }
    }
    function save() {
      keep(Date.now());
    }
    form.addEventListener("input", save);
    form.addEventListener("submit", save);

    // The preview's 公開 sends the staged file: the form as the server sent it back (its default values, whatever
    // the browser may have put back into the boxes since).
    function holdStalePublish(publish) {
      var previewed = {};
      fields.forEach(function (el) {
        previewed[el.name] = el.defaultValue;
      });
      var button = publish.querySelector("button[type=submit]");
      var again = form.querySelector("button[type=submit]");
      var label = again ? again.textContent.trim() : "確認する";
      var text =
        "プレビューの後に内容が変わりました。公開する前に、もう一度「" + label + "」を押してください。" +
        "（下のボタンで公開されるのは、プレビューした内容です）";
      var stale = false;
      // A live region there from the start (one that appears with its text is often not read), empty while the
      // preview is up to date; its text changes only when the state does: typing does not repeat it.
      var note = document.createElement("p");
      note.id = "preview-stale";
      note.className = "stale-note";
      note.setAttribute("role", "status");
      publish.insertBefore(note, button);

      function check() {
        var now = !same(values(), previewed);
        if (now === stale) return;
        stale = now;
        note.textContent = stale ? text : "";
        publish.classList.toggle("stale", stale);
        if (!button) return;
        if (stale) {
          button.setAttribute("aria-disabled", "true");
          button.setAttribute("aria-describedby", note.id);
        } else {
          button.removeAttribute("aria-disabled");
          button.removeAttribute("aria-describedby");
        }
      }
      form.addEventListener("input", check);
      publish.addEventListener("submit", function (event) {
        check();
        if (stale) {
          event.preventDefault(); // the focus stays on the button: the notice says why nothing happened
          note.textContent = "";
          setTimeout(function () {
            note.textContent = text; // read out again
          }, 100);
          return;
        }
        published = previewed;
        save();
      });
      check();
    }

    var publish = document.querySelector("form[data-publish-previewed]");
    if (sent && publish) holdStalePublish(publish);

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
      keep(draft.at); // kept on, now over the entry this page shows, still dated when it was typed
      say(box, false, message, [
        [
          fresh ? "復元を取り消す（入力前の状態に戻す）" : "復元を取り消す（公開中の内容に戻す）",
          function () {
            fill(shown);
            store.removeItem(key);
            say(box, false, (fresh ? "入力前の状態" : "公開中の内容") + "に戻しました。復元した編集内容は破棄しました。", []);
          },
        ],
      ]);
    }

    // The editor has no "save", only 公開: a draft is what was typed and not yet published. One typed after this
    // tab's own 公開 is over the entry this page shows, if it shows what was published.
    if (draft.base === base || (draft.published && same(draft.published, shown))) {
      restore(
        "まだ公開していない編集内容" + typed + "を復元しました。" +
          "「差分と回帰テストを確認」で確認してから公開してください。"
      );
      return;
    }
    say(
      box,
      true,
      "まだ公開していない編集内容" + typed + "があります。ただし、その後ほかの人がこのFAQを変更して公開しました" +
        "（下のフォームは現在公開中の内容です）。入力していた内容を復元しますか？",
      [
        [
          "入力していた内容を復元する",
          function () {
            // The page no longer shows the other editor's version: the preview's diff is where to compare.
            restore(
              "入力していた内容を復元しました（まだ公開していません）。" +
                "「差分と回帰テストを確認」で、ほかの人の変更を上書きしていないか確かめてから公開してください。"
            );
          },
        ],
        [
          "入力していた内容を破棄する",
          function () {
            store.removeItem(key);
            say(box, false, "入力していた内容を破棄しました。下のフォームは現在公開中の内容です。", []);
          },
        ],
      ]
    );
  }

  function nameEntries() {
    var picks = document.querySelectorAll("input[data-entry-pick]");
    if (!picks.length) return;
    var questions = null; // id -> question, from the shared datalist ("id: question"), read once when first needed
    function question(id) {
      if (questions === null) {
        questions = {};
        var list = document.getElementById(picks[0].getAttribute("list"));
        Array.prototype.forEach.call(list ? list.options : [], function (o) {
          var text = o.textContent;
          questions[o.value] = text.indexOf(o.value + ": ") === 0 ? text.slice(o.value.length + 2) : text;
        });
      }
      return Object.prototype.hasOwnProperty.call(questions, id) ? questions[id] : null;
    }
    Array.prototype.forEach.call(picks, function (input) {
      // described by its row's question, then by the hint (the last id)
      var described = (input.getAttribute("aria-describedby") || "").split(/\s+/);
      var hint = document.getElementById(described[described.length - 1]);
      if (!hint) return;
      var first = { value: input.value, text: hint.textContent };
      // done: the editor has left the box or picked (change), not typing a search that is still short of an
      // entry: only then may the hint say the text names none.
      function name(done) {
        var id = input.value.trim();
        var text;
        if (id === first.value) text = first.text;
        else if (!id) text = "";
        else if (question(id) !== null) text = "追加先: FAQ " + id + "「" + question(id) + "」";
        else if (!done) text = "";
        else if (/^[A-Za-z0-9_.\-]+$/.test(id)) text = "一覧にないFAQ番号です（番号か質問の一部を入力すると候補が出ます）";
        else text = "候補からFAQを選んでください（番号か質問の一部を入力すると候補が出ます）";
        if (hint.textContent !== text) hint.textContent = text; // an unchanged live region is not read again
      }
      input.addEventListener("input", function () {
        name(false);
      });
      input.addEventListener("change", function () {
        name(true);
      });
    });
  }

  // Tables whose headers sort their rows (table[data-sortable]): a header with data-sort-type gets a button; the
  // first press sorts its column ascending (a number column: data-sort on a cell, else its text), the next one
  // descending; aria-sort says which, for a screen reader too. Rows keep their classes (正しくなかった行だけ表示).
  function sortTables() {
    var tables = document.querySelectorAll("table[data-sortable]");
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.tHead ? table.tHead.rows[0].cells : [];
      Array.prototype.forEach.call(heads, function (th, col) {
        var type = th.getAttribute("data-sort-type");
        if (!type) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        button.textContent = th.textContent;
        th.textContent = "";
        th.appendChild(button);
        // A number column's cell without a number (「-」) sorts last either way: null.
        function key(row) {
          var cell = row.cells[col];
          var value = cell.getAttribute("data-sort");
          if (value === null) value = cell.textContent.trim();
          if (type !== "number") return value;
          var n = parseFloat(value);
          return isNaN(n) ? null : n;
        }
        button.addEventListener("click", function () {
          var descending = th.getAttribute("aria-sort") === "ascending";
          Array.prototype.forEach.call(heads, function (h) {
            h.removeAttribute("aria-sort");
          });
          th.setAttribute("aria-sort", descending ? "descending" : "ascending");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
            return { row: row, key: key(row), at: i };
          });
          rows.sort(function (a, b) {
            if (a.key === null || b.key === null) return (a.key === null) - (b.key === null) || a.at - b.at;
            // Text as people read it: ids 5 before 11, 「候補 12」 after 「候補 9」.
            var c = type === "number" ? (a.key === b.key ? 0 : a.key < b.key ? -1 : 1)
              : a.key.localeCompare(b.key, "ja", { numeric: true });
            return (descending ? -c : c) || a.at - b.at;
          });
          rows.forEach(function (r) {
            body.appendChild(r.row);
          });
        });
      });
    });
  }

  // A new entry made from a question group (details.other-wordings): each of the group's other wordings that can
  // be an alternate (li[data-wording]) gets a button that adds it to the alternates box as a line of its own
  // (an input event: the draft keeps it, and a preview's 公開 is held back until previewed again).
  function addWordings() {
    var box = document.getElementById("alternates");
    var items = document.querySelectorAll("details.other-wordings li[data-wording]");
    if (!box || !items.length) return;
    function lines() {
      return box.value.split("\n").map(function (l) {
        return l.trim();
      });
    }
    Array.prototype.forEach.call(items, function (item) {
      var wording = item.getAttribute("data-wording");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-like add-wording";
      button.setAttribute("aria-label", "「" + wording + "」を言い換えに加える");
      function settle() {
        var there = lines().indexOf(wording.trim()) >= 0;
        button.disabled = there;
        button.textContent = there ? "言い換えにあります" : "言い換えに加える";
      }
      button.addEventListener("click", function () {
        if (lines().indexOf(wording.trim()) < 0) {
          var text = box.value.replace(/\s+$/, "");
          box.value = text ? text + "\n" + wording : wording;
          box.dispatchEvent(new Event("input", { bubbles: true }));
        }
        settle();
      });
      box.addEventListener("input", settle);
      settle();
      item.appendChild(document.createTextNode(" "));
      item.appendChild(button);
    });
  }

  // The entry's question is a box of several lines (a long one wraps on a phone), typed as one line: Enter sends
  // the form, as it did when the box was one line, instead of starting a line (but not while the IME converts: its
  // Enter confirms the conversion; Shift+Enter starts a line). A question pasted with line breaks keeps them, as a
  // file's cell may have them.
  function oneLineQuestion() {
    var box = document.querySelector("form.entry textarea#question");
    if (!box || !box.form) return;
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      if (box.form.requestSubmit) {
        box.form.requestSubmit();
      } else {
        var send = box.form.querySelector("button[type=submit]");
        if (send) send.click();
      }
    });
  }

  function titleTheResult() {
    var result = document.querySelector("main .result");
    if (!result) return;
    var said = result.querySelector("#notice-h") || result.querySelector("#rollback-h") ||
      result.querySelector("#preview-h") || result.querySelector("[role=alert], [role=status]") ||
      result.querySelector("h2");
    var text = said ? said.textContent.replace(/\s+/g, " ").trim() : "";
    if (text) document.title = (text.length > 60 ? text.slice(0, 60) + "…" : text) + " - faq-bot";
  }

  titleTheResult();
  oneLineQuestion();
  keepDrafts();
  nameEntries();
  sortTables();
  addWordings();
})();
