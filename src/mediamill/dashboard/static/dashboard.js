// mediamill dashboard: confirmations for actions, live job progress and run steps (SSE), saved job filters.
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

  // The run page: each step's state (and colour), timing and items as the run goes, without a reload.
  function span(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    if (seconds < 1) { return Math.round(seconds * 1000) + " ms"; }
    if (seconds < 90) { return seconds.toFixed(1) + " s"; }
    if (seconds < 5400) { return Math.round(seconds / 60) + " min"; }
    if (seconds < 172800) { return (seconds / 3600).toFixed(1) + " h"; }
    return Math.round(seconds / 86400) + " d";
  }

  function showRun(data) {
    var badge = document.getElementById("run-state");
    badge.textContent = data.state;
    badge.className = "badge " + data["class"];
    document.getElementById("run-progress").textContent = Math.round(data.progress) + "%";
    data.steps.forEach(function (step) {
      var node = document.querySelector('svg.dag [data-step="' + CSS.escape(step.name) + '"]');
      if (node) {
        node.setAttribute("data-state", step.state);
        node.setAttribute("class", "node " + step["class"]);
        if (step.job_id) { node.setAttribute("href", "/dashboard/jobs/" + step.job_id); }
        var sub = step.state + (step.duration_s ? " · " + span(step.duration_s) : "") +
          (step.items_total !== null ? " · " + step.items_done + "/" + step.items_total : "");
        node.querySelector("text.sub").textContent = sub;
        node.querySelector("title").textContent = step.name + ": " + step.state;
      }
      var row = document.querySelector('tr[data-step="' + CSS.escape(step.name) + '"]');
      if (row) {
        var cell = row.querySelector(".step-state .badge");
        cell.textContent = step.state;
        cell.className = "badge " + step["class"];
        row.querySelector(".step-attempts").textContent = step.attempts;
        row.querySelector(".step-took").textContent = span(step.duration_s);
      }
    });
  }

  function followRun(box) {
    var source = new EventSource(box.getAttribute("data-run-events"));
    source.addEventListener("steps", function (e) { showRun(JSON.parse(e.data)); });
    ["completed", "failed", "cancelled"].forEach(function (name) {
      // The end: reload once for what only a finished run shows (outputs, rerun).
      source.addEventListener(name, function () { source.close(); window.location.reload(); });
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
    var run = document.querySelector("[data-run-events]");
    if (run && window.EventSource) { followRun(run); }
  });
})();
