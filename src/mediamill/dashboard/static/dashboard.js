// mediamill dashboard: confirmations for actions, live job progress (SSE), a refresh for running runs,
// saved job filters.
// Plain script, no build; htmx does the rest.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  function follow(box) {
    var source = new EventSource(box.getAttribute("data-events"));
    var bar = document.getElementById("job-progress");
    var percent = document.getElementById("job-percent");
    var step = document.getElementById("job-step");
    var status = document.getElementById("job-status");
    function show(data) {
      if (typeof data.progress === "number") {
        bar.value = data.progress;
        percent.textContent = Math.round(data.progress) + "%";
      }
      if (data.step) { step.textContent = data.step; }
      if (data.status) { status.textContent = data.status; }
    }
    source.addEventListener("progress", function (e) { show(JSON.parse(e.data)); });
    source.addEventListener("step", function (e) { show(JSON.parse(e.data)); });
    ["completed", "failed", "cancelled"].forEach(function (name) {
      source.addEventListener(name, function () { source.close(); window.location.reload(); });
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) { return; }
    });
  }

  // Saved filters: named jobs-page queries kept in this browser's localStorage. A dashboard session
  // belongs to an API key, not to a person (a key may be shared; the loopback mode has no user),
  // so the server has no one to keep a personal view for.
  var SAVED_KEY = "mediamill.savedFilters";

  function loadSaved() {
    try {
      var list = JSON.parse(window.localStorage.getItem(SAVED_KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (f) { return f && typeof f.name === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  function storeSaved(list) { window.localStorage.setItem(SAVED_KEY, JSON.stringify(list)); }

  // The filter in the address bar (htmx pushes it there on search), without its page number.
  function currentQuery() {
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.forEach(function (value, key) { if (!value) { params.delete(key); } });
    return params.toString();
  }

  function showSaved(box) {
    var list = box.querySelector("#saved-list");
    list.textContent = "";
    var here = currentQuery();
    loadSaved().forEach(function (saved) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/dashboard/jobs" + (saved.query ? "?" + saved.query : "");
      link.textContent = saved.name;
      link.title = saved.query || "no filter";
      if (saved.query === here) { link.setAttribute("aria-current", "page"); }
      var forget = document.createElement("button");
      forget.type = "button";
      forget.className = "forget";
      forget.textContent = "×";
      forget.setAttribute("aria-label", "Delete saved filter " + saved.name);
      forget.addEventListener("click", function () {
        storeSaved(loadSaved().filter(function (f) { return f.name !== saved.name; }));
        showSaved(box);
      });
      item.appendChild(link);
      item.appendChild(forget);
      list.appendChild(item);
    });
  }

  function savedFilters(box) {
    if (!window.localStorage) { return; }
    box.hidden = false;
    var form = box.querySelector("#save-filter");
    var note = box.querySelector("#saved-note");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = form.elements.name.value.trim();
      if (!name) { return; }
      var query = currentQuery();
      var list = loadSaved().filter(function (f) { return f.name !== name; });  // same name: replaced
      list.push({ name: name, query: query });
      list.sort(function (a, b) { return a.name.localeCompare(b.name); });
      storeSaved(list);
      form.reset();
      note.textContent = "Saved \u201c" + name + "\u201d" + (query ? "" : " (no filter: every job)");
      showSaved(box);
    });
    showSaved(box);
    document.body.addEventListener("htmx:pushedIntoHistory", function () { showSaved(box); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var saved = document.getElementById("saved-filters");
    if (saved) { savedFilters(saved); }
    var box = document.querySelector("[data-events]");
    if (box && window.EventSource) { follow(box); }
    var refresh = document.querySelector("[data-refresh]");
    if (refresh) {
      window.setTimeout(function () { window.location.reload(); }, 1000 * Number(refresh.getAttribute("data-refresh")));
    }
  });
})();
