// The review inbox's "select all" box ticks every report on the page.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", function () {
    document.querySelectorAll("#review-table input[name=entry_id]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
