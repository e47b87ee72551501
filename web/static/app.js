// The Mini Apps (report editor, screen moderation). Telegram gives this page signed initData;
// every request carries it in a header and every change also carries the CSRF token the last
// answer gave. The server renders every view; this script only sends requests and swaps HTML.
(function () {
  "use strict";
  var root = document.getElementById("app");
  var content = document.getElementById("content");
  var statusLine = document.getElementById("status");
  var page = root.getAttribute("data-page");
  var session = root.getAttribute("data-session");
  var tg = window.Telegram && window.Telegram.WebApp;
  var base = "/app/api/" + session;
  var readUrl = page === "editor" ? base + "/draft" : base + "/moderation";
  var writeUrl = page === "editor" ? base + "/action" : base + "/screen";
  var csrf = "";

  function initData() {
    if (tg && tg.initData) { return tg.initData; }
    // Outside Telegram's script (or before it loads) the same data is in the URL fragment.
    var hash = new URLSearchParams(window.location.hash.slice(1));
    return hash.get("tgWebAppData") || "";
  }
  var auth = initData();
  if (tg && tg.ready) { tg.ready(); if (tg.expand) { tg.expand(); } }

  function say(text, isError) {
    statusLine.textContent = text || "";
    statusLine.classList.toggle("error", !!isError);
  }

  // Every answer speaks the signed-in user's language: the page follows it as a whole.
  function speak(data) {
    if (data.lang) { document.documentElement.lang = data.lang; }
    if (data.title) { document.title = data.title; }
    var labels = data.labels || {};
    Object.keys(labels).forEach(function (key) { root.setAttribute("data-" + key, labels[key]); });
  }

  function fail(message) {
    var alert = document.createElement("p");
    alert.className = "notice";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    content.replaceChildren(alert);
    content.setAttribute("aria-busy", "false");
  }

  function call(url, body) {
    var headers = { "X-Telegram-Init-Data": auth };
    var options = { headers: headers, credentials: "omit", cache: "no-store" };
    if (body) {
      options.method = "POST";
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body);
      say(root.getAttribute("data-working"));
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return { message: response.statusText }; }).then(function (data) {
        speak(data);
        if (!response.ok) {
          if (body) { say(root.getAttribute("data-failed").replace("{reason}", data.message || response.statusText), true); }
          else { fail(data.message || response.statusText); }
          return;
        }
        csrf = data.csrf;
        content.innerHTML = data.html;
        content.setAttribute("aria-busy", "false");
        say(data.message);
        document.body.setAttribute("data-version", String(data.version || ""));
      });
    }).catch(function () { say(root.getAttribute("data-failed").replace("{reason}", root.getAttribute("data-network")), true); });
  }

  function editForm(button) {
    var kind = button.getAttribute("data-edit");
    var key = button.getAttribute("data-key");
    var block = button.closest(".editable");
    var saved = block.innerHTML;
    var form = document.createElement("form");
    form.className = "edit-form";
    var label = document.createElement("label");
    label.textContent = button.getAttribute("aria-label") || button.textContent;
    var field = document.createElement(kind === "rename" ? "input" : "textarea");
    field.value = button.getAttribute("data-current") || "";
    field.name = "text";
    field.setAttribute("dir", "auto");
    if (kind !== "rename") { field.rows = 6; }
    label.appendChild(field);
    var save = document.createElement("button");
    save.type = "submit";
    save.className = "primary";
    save.textContent = root.getAttribute("data-save");
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = root.getAttribute("data-cancel");
    form.append(label, save, cancel);
    block.replaceChildren(form);
    field.focus();
    function restore() { block.innerHTML = saved; }
    cancel.addEventListener("click", restore);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { restore(); }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { form.requestSubmit(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = field.value.trim();
      if (!text) { field.focus(); return; }
      if (kind === "rename") { call(writeUrl, { action: "rename", contribution: key, label: text }); }
      else { call(writeUrl, { action: "edit", kind: kind, key: key, text: text }); }
    });
  }

  content.addEventListener("click", function (event) {
    var target = event.target.closest("button, a[data-download]");
    if (!target) { return; }
    if (target.hasAttribute("data-edit")) { editForm(target); return; }
    if (target.hasAttribute("data-download")) {
      if (tg && tg.downloadFile && tg.isVersionAtLeast && tg.isVersionAtLeast("8.0")) {
        event.preventDefault();
        tg.downloadFile({ url: new URL(target.getAttribute("href"), window.location.href).href, file_name: target.getAttribute("data-download") });
      }
      return;
    }
    if (target.hasAttribute("data-screen")) {
      call(writeUrl, { contribution: target.getAttribute("data-contribution"), on_screen: target.getAttribute("data-screen") === "show" });
      return;
    }
    var action = target.getAttribute("data-action");
    if (!action) { return; }
    var body = { action: action };
    ["kind", "key", "contribution"].forEach(function (name) {
      if (target.hasAttribute("data-" + name)) { body[name] = target.getAttribute("data-" + name); }
    });
    var from = target.getAttribute("data-target-from");
    if (from) {
      var select = document.getElementById(from);
      if (!select.value) { select.focus(); return; }
      body.target = select.value;
    }
    call(writeUrl, body);
  });

  if (!auth) { fail(root.getAttribute("data-outside")); return; }
  call(readUrl);
})();
