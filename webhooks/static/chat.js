/* Slotline web chat: the page at /chat (and /chat?embed=1 inside the widget's iframe).
 *
 * Talks to POST api/v1/chat on this page's own origin. The session id lives in localStorage
 * so the conversation (and "my appointments") survive a reload; every message carries a
 * messageId that a retry sends again, so a retried message is answered once at most.
 *
 * What the assistant sends later, on its own (a confirmation, a reminder with Confirm / Cancel /
 * Move), waits in the session's inbox: the page polls GET api/v1/chat/inbox every few seconds
 * while it is open and shown (every 15 s after ten quiet minutes, and at once when it regains
 * focus), shows what arrives as the assistant's messages, and remembers the last id seen so a
 * reload does not repeat them.
 *
 * The session id is the only key to the person's bookings: it travels in a POST body or the
 * X-Chat-Session header, never in a URL (access logs keep URLs). So a file sent with a message
 * (the .ics) is fetched with the header and offered as a blob: link when it is tapped.
 */
(function () {
  "use strict";

  var API = new URL("api/v1/chat", document.baseURI).href;
  var SESSION_KEY = "slotline.chat.session";
  var HISTORY_KEY = "slotline.chat.history";
  var MAX_HISTORY = 60;
  var HISTORY_TTL_MS = 24 * 3600 * 1000; // the server forgets a quiet conversation after a day too
  var INBOX_KEY = "slotline.chat.inbox";
  var POLL_MS = 3000;       // while the conversation is going on
  var IDLE_POLL_MS = 15000; // after a quiet while (a reminder may be a day away); focus asks at once
  var IDLE_AFTER_MS = 10 * 60 * 1000;
  var MAX_POLL_MS = 60000; // after failures, ask less and less often, up to once a minute
  var BULLET = /^\s*[•*-]\s+(.*)$/;

  var embed = new URLSearchParams(location.search).get("embed") === "1";
  var store = storage();
  var session = store.get(SESSION_KEY) || randomId("web-");
  var history = loadHistory();
  var busy = false;
  var typedAhead = [];
  var pendingError = null;

  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-composer");
  var input = document.getElementById("chat-input");
  var statusLine = document.getElementById("chat-status");
  var closeButton = document.getElementById("chat-close");

  var INBOX = API + "/inbox";
  var SESSION_HEADER = "X-Chat-Session";
  var inboxLast = loadInboxLast();
  var polling = false;
  var pollStopped = false;
  var pollFailures = 0;
  var pollTimer = null;
  var lastActivity = Date.now();

  store.set(SESSION_KEY, session);

  function storage() {
    // Third-party iframes may be refused storage (blocked cookies): then it lasts as long as the page.
    var memory = {};
    try {
      var probe = window.localStorage;
      probe.setItem("slotline.probe", "1");
      probe.removeItem("slotline.probe");
      return {
        get: function (key) { return probe.getItem(key); },
        set: function (key, value) { try { probe.setItem(key, value); } catch (e) { /* full: keep going */ } }
      };
    } catch (e) {
      return {
        get: function (key) { return memory[key] || null; },
        set: function (key, value) { memory[key] = value; }
      };
    }
  }

  function randomId(prefix) {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes); // works on plain http too, unlike crypto.randomUUID
    return prefix + Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function loadHistory() {
    try {
      var saved = JSON.parse(store.get(HISTORY_KEY) || "null");
      if (saved && saved.session === session && Date.now() - saved.at < HISTORY_TTL_MS) return saved.entries;
    } catch (e) { /* unreadable: start afresh */ }
    return [];
  }

  function loadInboxLast() {
    try {
      var saved = JSON.parse(store.get(INBOX_KEY) || "null");
      if (saved && saved.session === session && typeof saved.last === "number") return saved.last;
    } catch (e) { /* unreadable: ask for everything, the inbox only holds a few days */ }
    return 0;
  }

  function saveHistory() {
    history = history.slice(-MAX_HISTORY);
    store.set(HISTORY_KEY, JSON.stringify({ session: session, at: Date.now(), entries: history }));
  }

  // --- Rendering ---------------------------------------------------------------------------

  function renderText(bubble, text) {
    var list = null;
    text.split("\n").forEach(function (line) {
      var bullet = BULLET.exec(line);
      if (bullet) {
        if (!list) list = bubble.appendChild(document.createElement("ul"));
        list.appendChild(document.createElement("li")).textContent = bullet[1];
      } else if (line.trim()) {
        list = null;
        bubble.appendChild(document.createElement("p")).textContent = line;
      } else {
        list = null;
      }
    });
  }

  function renderEntry(entry) {
    var item = document.createElement("li");
    if (entry.who === "note") {
      item.className = "chat-note";
      item.textContent = entry.text;
      return append(item);
    }
    item.className = "msg " + (entry.who === "me" ? "msg-me" : "msg-bot");
    var bubble = item.appendChild(document.createElement("div"));
    bubble.className = "bubble";
    renderText(bubble, entry.text);
    if (entry.who === "me") item.insertBefore(label("You said:"), bubble);
    if (entry.file) bubble.appendChild(renderFile(entry.file));
    if (entry.choices && entry.choices.length) item.appendChild(renderChoices(entry));
    return append(item);
  }

  function label(text) {
    var span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }

  function renderFile(file) {
    var line = document.createElement("p");
    line.className = "file";
    var link = line.appendChild(document.createElement("a"));
    link.href = "#"; // the file itself (a blob: URL) once fetched: its URL needs the session header
    link.setAttribute("download", file.name);
    link.textContent = /calendar/.test(file.type || "") ? "Add to my calendar (" + file.name + ")" : "Download " + file.name;
    link.addEventListener("click", function (event) {
      if (link.dataset.fetched) return; // a blob: URL now: the browser saves it
      event.preventDefault();
      fetchFile(file).then(function (blob) {
        link.href = URL.createObjectURL(blob);
        link.dataset.fetched = "1";
        link.click();
      }, function (problem) {
        var note = line.querySelector(".file-problem") || line.appendChild(document.createElement("span"));
        note.className = "file-problem";
        note.textContent = " " + (typeof problem === "string" ? problem : "(Sorry, the file couldn't be fetched.)");
      });
    });
    return line;
  }

  function fetchFile(file) {
    var headers = { "Accept": file.type || "*/*" };
    headers[SESSION_HEADER] = session;
    return fetch(new URL(file.url, document.baseURI).href, {
      headers: headers, credentials: "same-origin", cache: "no-store"
    }).then(function (response) {
      if (response.ok) return response.blob();
      throw response.status === 404 ? "(That file has expired. Say \"my appointments\" to see your bookings.)"
                                    : "(Sorry, the file couldn't be fetched. Please try again.)";
    }, function () {
      throw "(Sorry, the file couldn't be fetched. Check your connection and try again.)";
    });
  }

  function renderChoices(entry) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Options");
    entry.choices.forEach(function (choice) {
      var button = group.appendChild(document.createElement("button"));
      button.type = "button";
      button.className = "choice";
      button.textContent = choice.label;
      button.disabled = !!entry.frozen;
      button.setAttribute("aria-pressed", String(entry.picked === choice.value));
      button.addEventListener("click", function () { pick(entry, choice, button); });
    });
    return group;
  }

  function append(item) {
    log.appendChild(item);
    scrollToEnd();
    return item;
  }

  var pinned = true; // following the newest message, unless the person scrolled up to read
  function scrollToEnd() { log.scrollTop = log.scrollHeight; pinned = true; }

  function add(entry) {
    lastActivity = Date.now();
    history.push(entry);
    saveHistory();
    return renderEntry(entry);
  }

  // Every option on show belongs to a step the next message moves past: none can be tapped again.
  function freezeChoices(pickedEntry, pickedValue) {
    history.forEach(function (entry) { if (entry.choices && entry.choices.length) entry.frozen = true; });
    if (pickedEntry) pickedEntry.picked = pickedValue;
    log.querySelectorAll("button.choice:not(:disabled)").forEach(function (button) { button.disabled = true; });
    saveHistory();
  }

  // --- Talking to the server ---------------------------------------------------------------

  function pick(entry, choice, button) {
    if (busy || entry.frozen) return;
    button.setAttribute("aria-pressed", "true");
    freezeChoices(entry, choice.value);
    add({ who: "me", text: choice.label });
    deliver({ body: { choice: choice.value }, fromChoice: true, entry: entry });
  }

  function say(text) {
    freezeChoices(null, null);
    add({ who: "me", text: text });
    deliver({ body: { text: text }, fromChoice: false, typed: true });
  }

  function deliver(message) {
    clearError();
    message.body.session = session;
    message.body.messageId = message.body.messageId || randomId("m-");
    setBusy(true);
    fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(message.body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok && data && Array.isArray(data.replies)) return answered(message, data.replies);
        // 429 (too many) and 503 (Redis away) carry a reply: nothing was handled, so say it and keep the text.
        if ((response.status === 429 || response.status === 503) && data && Array.isArray(data.replies) &&
            data.replies.length) {
          return slowedDown(message, data.replies);
        }
        if (response.status === 409) delete message.body.messageId; // busy: not handled, id spent
        failed(message, problem(response.status, data));
      });
    }, function () {
      failed(message, "Sorry, I couldn't reach the booking assistant. Check your connection and try again.");
    });
  }

  function problem(status, data) {
    if (status === 409) return "I was still busy with your previous message. Please try again.";
    if (status === 429) return "That's a lot of messages at once. Please wait a moment and try again.";
    if (status >= 500 || status === 0) {
      return "Sorry, the booking assistant is having trouble right now. Please try again in a moment.";
    }
    var detail = data && typeof data.detail === "string" ? " (" + data.detail + ")" : "";
    return "Sorry, that message couldn't be sent" + detail + ".";
  }

  // Lines typed while an answer was on its way: the next one goes when this answer is shown; if
  // nothing could be sent, they go back in the box so nothing typed is lost.
  function sendTypedAhead() {
    if (typedAhead.length) say(typedAhead.shift());
  }

  function returnTypedAhead() {
    if (!typedAhead.length) return;
    input.value = [input.value].concat(typedAhead).filter(Boolean).join(" ");
    typedAhead = [];
  }

  function answered(message, replies) {
    setBusy(false);
    if (!replies.length && message.retried) {
      add({ who: "note", text: "That message had already reached me, but my answer got lost on the way. " +
                               "Say \"my appointments\" to see where things stand, or carry on." });
    }
    replies.forEach(function (reply) { add({ who: "bot", text: reply.text, choices: reply.choices || [] }); });
    if (message.fromChoice) {
      var next = log.querySelector("button.choice:not(:disabled)");
      (next || input).focus({ preventScroll: true });
    }
    sendTypedAhead();
  }

  // Too many messages at once: the server says how long to wait, in the assistant's own voice.
  // Nothing was handled, so nothing is lost: typed text goes back in the box, and the options a
  // tap came from are offered again under the reply.
  function slowedDown(message, replies) {
    setBusy(false);
    replies.forEach(function (reply, i) {
      var choices = reply.choices && reply.choices.length ? reply.choices
        : (i === replies.length - 1 && message.entry ? message.entry.choices : []);
      add({ who: "bot", text: reply.text, choices: choices });
    });
    if (message.typed && !input.value) input.value = message.body.text;
    returnTypedAhead();
    input.focus({ preventScroll: true });
  }

  function failed(message, text) {
    setBusy(false);
    returnTypedAhead();
    var item = document.createElement("li");
    item.className = "chat-error";
    item.setAttribute("role", "alert");
    item.appendChild(document.createElement("p")).textContent = text;
    var retry = item.appendChild(document.createElement("button"));
    retry.type = "button";
    retry.textContent = "Try again";
    retry.addEventListener("click", function () {
      if (busy) return;
      message.retried = true;
      deliver(message); // the same messageId: answered once even if the first try did arrive
    });
    pendingError = append(item);
    retry.focus({ preventScroll: true });
  }

  function clearError() {
    if (pendingError) pendingError.remove();
    pendingError = null;
  }

  function setBusy(on) {
    busy = on;
    log.setAttribute("aria-busy", String(on));
    statusLine.textContent = on ? "The assistant is typing" : "";
    statusLine.classList.toggle("typing", on);
  }

  // --- The inbox: what the assistant sends later, on its own ------------------------------

  function poll() {
    if (polling || pollStopped) return;
    clearTimeout(pollTimer);
    polling = true;
    var headers = { "Accept": "application/json" };
    headers[SESSION_HEADER] = session;
    fetch(INBOX + "?after=" + inboxLast, {
      headers: headers, credentials: "same-origin", cache: "no-store"
    }).then(function (response) {
      if (response.status === 404 || response.status === 422) pollStopped = true; // no inbox for us here
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && Array.isArray(data.messages) && typeof data.last === "number") {
        delivered(data);
        pollFailures = 0;
      } else {
        pollFailures += 1;
      }
    }, function () {
      pollFailures += 1; // offline for a moment: ask again later, quietly
    }).then(function () {
      polling = false;
      schedulePoll();
    });
  }

  function delivered(data) {
    data.messages.forEach(function (message) {
      if (!message || typeof message.text !== "string") return;
      var entry = { who: "bot", text: message.text, choices: message.choices || [], inbox: message.id };
      if (message.file && typeof message.file.url === "string") {
        entry.file = { name: String(message.file.name || "file"), type: String(message.file.type || ""),
                       url: message.file.url };
      }
      add(entry);
    });
    inboxLast = data.last;
    store.set(INBOX_KEY, JSON.stringify({ session: session, last: inboxLast }));
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    if (pollStopped || document.visibilityState === "hidden") return; // back on show: polled at once
    var every = Date.now() - lastActivity < IDLE_AFTER_MS ? POLL_MS : IDLE_POLL_MS;
    var wait = Math.min(every * Math.pow(2, pollFailures), MAX_POLL_MS);
    pollTimer = setTimeout(poll, wait);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll(); else clearTimeout(pollTimer);
  });
  window.addEventListener("focus", poll);

  // --- Wiring ------------------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (busy) {
      typedAhead.push(text); // typed while the assistant is still answering: sent as soon as it has
      return;
    }
    say(text);
  });

  if (embed) {
    document.body.classList.add("embed");
    closeButton.hidden = false;
    var close = function () { window.parent.postMessage({ slotline: "close" }, "*"); };
    closeButton.addEventListener("click", close);
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
    window.addEventListener("message", function (event) {
      // Only the page that framed us may ask; a phone keyboard popping up on open would hide the chat.
      if (event.source === window.parent && event.data && event.data.slotline === "opened" &&
          window.matchMedia("(pointer: fine)").matches) {
        input.focus({ preventScroll: true });
      }
    });
  }

  log.addEventListener("scroll", function () {
    pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  });
  // A phone keyboard opening (or a rotated screen) shrinks the log: keep the newest message in view.
  if (window.ResizeObserver) new ResizeObserver(function () { if (pinned) scrollToEnd(); }).observe(log);

  history.forEach(renderEntry);
  if (!history.length) deliver({ body: { text: "hello" }, fromChoice: false }); // the business's greeting
  poll();
})();
