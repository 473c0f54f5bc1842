// Follows a background job: polls its JSON status, moves the progress bar, and opens the
// result (or shows the failure) when it ends. Without JavaScript the page refreshes itself.
(function () {
  "use strict";
  var panel = document.getElementById("job");
  if (!panel) { return; }
  var url = panel.getAttribute("data-status-url");

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value; }
  }

  function show(status) {
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = status.percent; bar.textContent = status.percent + " %"; }
    text("job-stage", status.stage);
    text("job-documents", status.documents_read + " of " + status.documents_total);
    text("job-facts", String(status.facts));
    text("job-cards", String(status.cards));
    text("job-rows", status.rows_done.toLocaleString("en") + " of " +
      status.rows_total.toLocaleString("en"));
    if (status.status === "done" && status.result_url) {
      window.location.assign(status.result_url);
      return true;
    }
    if (status.status === "failed") {
      var message = document.getElementById("job-message");
      if (message) { message.textContent = status.message; message.hidden = false; }
      if (bar) { bar.hidden = true; }
      text("job-stage", "Failed");
      return true;
    }
    return false;
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) { if (!show(status)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
