// Fills the time-zone field with the browser's zone, which is right for almost everyone.
(function () {
  "use strict";
  var field = document.getElementById("timezone");
  if (!field || (field.value && field.value !== "UTC")) { return; }
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) { field.value = zone; }
  } catch (error) { /* keep UTC */ }
})();
