// The card editor shows only the fields of the chosen kind. Without this script every field
// shows, each labelled with the kinds it is for.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  var form = document.getElementById("card-form");
  if (!kind || !form) { return; }
  var fields = form.querySelectorAll(".field[data-kinds]");

  function show() {
    fields.forEach(function (field) {
      var used = field.getAttribute("data-kinds").split(" ").indexOf(kind.value) !== -1;
      field.hidden = !used;
      // Disabled while hidden: not sent, and skipped by the keyboard and screen readers.
      field.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !used;
      });
    });
  }
  kind.addEventListener("change", show);
  show();
})();
