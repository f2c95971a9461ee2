// genba-call site office: small progressive enhancements, nothing required.
(function () {
  "use strict";

  // Today's board refreshes itself: fetch the fragment, swap it in.
  function refreshBoard(section) {
    var url = section.getAttribute("data-refresh-url");
    var seconds = parseInt(section.getAttribute("data-refresh-s") || "30", 10);
    if (!url) { return; }
    function tick() {
      if (document.hidden) { return; }
      fetch(url + window.location.search, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null && html !== undefined) {
          section.innerHTML = html;
          section.setAttribute("data-refreshed", String(Date.now()));
        }
      }).catch(function () { /* offline for a moment: try again next time */ });
    }
    window.setInterval(tick, seconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { tick(); } });
  }

  function init() {
    var live = document.getElementById("board-live");
    if (live) { refreshBoard(live); }
    // Selects and checkboxes marked data-autosubmit send their form when changed.
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
    });
    // Forms with data-confirm ask first.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
