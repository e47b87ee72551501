// The room screen: the live part is re-rendered by the server and pushed over Server-Sent
// Events; the browser reconnects by itself (retry: 2 s) after a network blip or a restart.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var status = document.getElementById("connection");
  if (!live || !window.EventSource) { return; }
  var source = new EventSource(live.getAttribute("data-stream"));
  source.addEventListener("open", function () { status.textContent = status.getAttribute("data-live"); });
  source.addEventListener("update", function (event) {
    live.innerHTML = event.data;
    status.textContent = status.getAttribute("data-live");
    document.body.setAttribute("data-updated", String(Date.now()));
  });
  source.addEventListener("revoked", function () {
    source.close();
    var notice = document.createElement("p");
    notice.className = "notice";
    notice.setAttribute("role", "alert");
    notice.textContent = status.getAttribute("data-revoked");
    live.replaceChildren(notice);
    status.textContent = "";
  });
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.CLOSED) { status.textContent = status.getAttribute("data-reconnecting"); }
  });
})();
