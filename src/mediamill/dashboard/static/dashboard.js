// mediamill dashboard: confirmations for actions, live job progress (SSE), a refresh for running runs.
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

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-events]");
    if (box && window.EventSource) { follow(box); }
    var refresh = document.querySelector("[data-refresh]");
    if (refresh) {
      window.setTimeout(function () { window.location.reload(); }, 1000 * Number(refresh.getAttribute("data-refresh")));
    }
  });
})();
