/* Slotline chat widget for any website:
 *
 *   <script src="https://HOST/chat/widget.js" data-slotline async></script>
 *
 * Adds a floating button that opens the booking chat in an iframe to https://HOST/chat?embed=1.
 * The iframe talks to its own origin, so the host site needs no CORS and no other setup; the
 * button and panel live in a shadow root so the site's CSS cannot reach them (nor ours the site).
 * Options: data-label="Book now" (the button's text), data-position="left".
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-slotline]");
  if (!script || window.slotlineWidget) return; // one widget a page, however many tags
  var chatUrl = new URL("../chat?embed=1", script.src).href;
  var chatOrigin = new URL(chatUrl).origin;
  var labelText = script.getAttribute("data-label") || "Book an appointment";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";

  var CSS = [
    ":host { all: initial; }",
    ".launcher { position: fixed; bottom: 20px; " + side + ": 20px; z-index: 2147483000;",
    "  display: flex; align-items: center; gap: 8px; min-height: 52px; padding: 0 20px 0 16px;",
    "  border: 0; border-radius: 999px; background: #0f766e; color: #fff; cursor: pointer;",
    "  font: 600 16px/1 system-ui, -apple-system, 'Segoe UI', Roboto, 'Liberation Sans', sans-serif;",
    "  box-shadow: 0 6px 20px rgb(0 0 0 / 0.25); }",
    ".launcher:hover { background: #115e59; }",
    ".launcher:focus-visible { outline: 3px solid #f59e0b; outline-offset: 3px; }",
    ".launcher svg { width: 24px; height: 24px; flex: none; }",
    ".panel { position: fixed; bottom: 88px; " + side + ": 20px; z-index: 2147483001;",
    "  width: 380px; height: min(640px, calc(100vh - 120px)); border-radius: 16px; overflow: hidden;",
    "  background: #fff; box-shadow: 0 12px 40px rgb(0 0 0 / 0.3); }",
    ".panel[hidden] { display: none; }",
    ".panel iframe { display: block; width: 100%; height: 100%; border: 0; }",
    "@media (max-width: 480px) {",
    "  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }",
    "  .launcher[aria-expanded='true'] { display: none; }",
    "}"
  ].join("\n");
  var ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" ' +
             'stroke-linecap="round" stroke-linejoin="round"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 ' +
             '8 0 1 1 21 12z"/><path d="M8.5 12h.01M12 12h.01M15.5 12h.01"/></svg>';

  var host = document.createElement("div");
  host.setAttribute("data-slotline-widget", "");
  var root = host.attachShadow({ mode: "open" });
  addStyle(root, CSS);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.innerHTML = ICON;
  launcher.appendChild(document.createElement("span")).textContent = labelText;
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "slotline-panel");

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "slotline-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", labelText);
  var frame = null;

  root.appendChild(launcher);
  root.appendChild(panel);

  function addStyle(shadow, css) {
    // A constructed sheet is not an inline style: a host page's strict CSP does not block it.
    if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(document.createElement("style")).textContent = css;
    }
  }

  function open() {
    if (!frame) { // loaded on first open: a visitor who never opens it costs the business nothing
      frame = document.createElement("iframe");
      frame.title = labelText + " (chat)";
      frame.src = chatUrl;
      frame.addEventListener("load", announceOpen);
      panel.appendChild(frame);
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    announceOpen();
  }

  function announceOpen() {
    if (frame && !panel.hidden) frame.contentWindow.postMessage({ slotline: "opened" }, chatOrigin);
  }

  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { (panel.hidden ? open : close)(); });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  window.addEventListener("message", function (event) {
    if (frame && event.source === frame.contentWindow && event.origin === chatOrigin &&
        event.data && event.data.slotline === "close") {
      close();
    }
  });

  window.slotlineWidget = { open: open, close: close };
  if (document.body) {
    document.body.appendChild(host);
  } else {
    document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(host); });
  }
})();
