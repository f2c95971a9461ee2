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

  // Worker pickers: a search box that asks the server for the few matching workers as one
  // types (POST, so the text is never in a URL) and keeps the chosen id in a hidden field.
  function workerPicker(box) {
    var form = box.form;
    var hidden = form ? form.querySelector("input[name=worker_id]") : null;
    var list = document.getElementById(box.getAttribute("list"));
    var csrf = form ? form.querySelector("input[name=csrf_token]") : null;
    var ids = {};
    var timer = null;
    if (!hidden || !list) { return; }
    function choose() { hidden.value = ids[box.value] || ""; }
    function ask() {
      var body = new FormData();
      body.append("q", box.value);
      if (box.getAttribute("data-picker-site")) {
        body.append("site_id", box.getAttribute("data-picker-site"));
      }
      fetch(box.getAttribute("data-picker-url"), {
        method: "POST",
        credentials: "same-origin",
        body: body,
        headers: { "X-CSRF-Token": csrf ? csrf.value : "", "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        if (!answer) { return; }
        ids = {};
        list.textContent = "";
        answer.workers.forEach(function (w) {
          var option = document.createElement("option");
          option.value = w.label;
          ids[w.label] = String(w.id);
          list.appendChild(option);
        });
        choose();
      }).catch(function () { /* offline: the typed text is sent with the form */ });
    }
    box.addEventListener("input", function () {
      choose();
      if (timer) { window.clearTimeout(timer); }
      if (box.value.trim() && !ids[box.value]) { timer = window.setTimeout(ask, 200); }
    });
    box.addEventListener("change", choose);
  }

  function init() {
    document.querySelectorAll("input[data-picker-url]").forEach(workerPicker);
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
