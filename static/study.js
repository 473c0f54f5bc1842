// Progressive enhancement of the study session: answers are sent without a page reload and
// every action has a key. Without this script the same forms and links work as plain HTML.
(function () {
  "use strict";

  function panel() { return document.getElementById("study"); }

  function swap(html) {
    var current = panel();
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#study");
    if (!current || !fresh) { window.location.reload(); return; }
    current.replaceWith(fresh);
    announce(fresh);
    var focusTarget = fresh.querySelector("[autofocus]") || fresh.querySelector("#verdict") ||
      fresh.querySelector("#reveal-button") || fresh.querySelector("h1");
    if (focusTarget) {
      if (!focusTarget.hasAttribute("tabindex") && focusTarget.tagName === "H1") {
        focusTarget.setAttribute("tabindex", "-1");
      }
      focusTarget.focus();
    }
  }

  // Screen readers may skip live regions that arrive already filled, so what the new panel
  // says (verdict, notices) is also written into a live region that never leaves the page.
  function announce(fresh) {
    var announcer = document.getElementById("announcer");
    if (!announcer) { return; }
    var parts = [];
    fresh.querySelectorAll(".flash, #verdict, #study-heading").forEach(function (node) {
      parts.push(node.textContent.replace(/\s+/g, " ").trim());
    });
    announcer.textContent = parts.join(". ");
  }

  var busy = false;
  function load(url, options) {
    if (busy) { return; }
    busy = true;
    options = options || {};
    options.headers = { "X-Partial": "1" };
    options.credentials = "same-origin";
    fetch(url, options)
      .then(function (response) { return response.text(); })
      .then(swap)
      .catch(function () { window.location.href = url; })
      .finally(function () { busy = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-study-form")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    load(form.action, { method: "POST", body: data });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-study-link]");
    if (!link) { return; }
    event.preventDefault();
    load(link.href);
  });

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA");
  }

  document.addEventListener("keydown", function (event) {
    var root = panel();
    if (!root || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var reveal = root.querySelector("#reveal");
    if (event.key === " " && reveal && !reveal.open) {
      event.preventDefault();
      reveal.open = true;
      // Focus the scheduler's usual rating (SM-2's 4, FSRS's Good): Enter then gives it, as
      // in Anki, never an accidental blackout.
      var usual = root.querySelector(".grade[data-usual]");
      if (usual) { usual.focus(); }
      return;
    }
    var onButton = event.target.tagName === "BUTTON";
    if (reveal && reveal.open && !(event.key === "Enter" && onButton)) {
      // Each rating button lists its keys (FSRS: 1-4, Space = Good; SM-2: 0-5, Enter = 4).
      var rated = Array.prototype.find.call(root.querySelectorAll(".grade[data-keys]"),
        function (button) { return button.dataset.keys.split("|").indexOf(event.key) >= 0; });
      if (rated) {
        event.preventDefault();
        rated.click();
        return;
      }
    }
    if (event.key === " " && reveal) {
      return;  // Space on the focused rating presses it
    }
    // After feedback Space continues, as Enter does (Anki users press Space for everything).
    var key = event.key === "Enter" || event.key === " " ? "Enter" : event.key.toLowerCase();
    if (key === "Enter" && onButton) { return; }
    var scope = reveal && !reveal.open ? root.querySelector(".study-foot") : root;
    var target = scope && scope.querySelector('[data-key="' + key + '"]');
    if (target) {
      event.preventDefault();
      target.click();
    }
  });
})();
