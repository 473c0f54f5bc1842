// Progressive enhancement of the draft review page: accepting, dropping, undoing and
// restoring happen in place, without a page load. The server answers each form as it does
// without this script (a redirect back to the review page); the regions of that page that
// can change replace their old selves, so scroll position and context stay where they were.
(function () {
  "use strict";

  var busy = false;

  function announce(doc) {
    var announcer = document.getElementById("announcer");
    var messages = [];
    doc.querySelectorAll(".flashes .flash").forEach(function (node) {
      messages.push(node.textContent.replace(/\s+/g, " ").trim());
    });
    if (announcer) { announcer.textContent = messages.join(" "); }
    var flashes = document.querySelector(".flashes");
    if (flashes) { flashes.remove(); }
  }

  function swapRegions(doc) {
    document.querySelectorAll("[data-review-region]").forEach(function (region) {
      var fresh = doc.getElementById(region.id);
      if (fresh) { region.replaceWith(document.importNode(fresh, true)); }
    });
  }

  // Focus returns to the place acted on: its first button, or the nearest region heading.
  function refocus(anchor) {
    var target = anchor && document.getElementById(anchor);
    var control = target && (target.querySelector("button") || target.querySelector("a[href]"));
    if (control) { control.focus(); return; }
    var heading = document.getElementById("cards-heading");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function submitPlainly(form, submitter) {
    if (submitter && submitter.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = submitter.name;
      field.value = submitter.value;
      form.appendChild(field);
    }
    form.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-review-form")) { return; }
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var anchor = form.closest("article");
    anchor = anchor ? anchor.id : null;
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        swapRegions(doc);
        announce(doc);
        refocus(anchor);
      })
      // Whatever went wrong, the plain form shows the server's own answer.
      .catch(function () { submitPlainly(form, event.submitter); })
      .finally(function () { busy = false; });
  });
})();
