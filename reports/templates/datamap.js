"use strict";
(function () {
  // Filters for the data map page: by kind and by system. No network, no eval:
  // only shows and hides rows the page already holds.
  var kindSel = document.getElementById("filter-kind");
  var sysSel = document.getElementById("filter-system");
  var shown = document.getElementById("shown");
  function apply() {
    var kind = kindSel.value, sys = sysSel.value, fields = 0, containers = 0, systems = 0;
    var sections = document.querySelectorAll("details.system");
    for (var i = 0; i < sections.length; i++) {
      var sec = sections[i];
      var secVisible = 0;
      if (sys === "" || sec.dataset.system === sys) {
        var bodies = sec.querySelectorAll("tbody.container");
        for (var j = 0; j < bodies.length; j++) {
          var rows = bodies[j].querySelectorAll("tr.field");
          var visible = 0;
          for (var k = 0; k < rows.length; k++) {
            var kinds = rows[k].dataset.kinds.split(" ");
            var on = kind === "" || kinds.indexOf(kind) >= 0;
            rows[k].classList.toggle("hidden", !on);
            if (on) { visible++; }
          }
          bodies[j].classList.toggle("hidden", visible === 0);
          if (visible) { containers++; fields += visible; secVisible++; }
        }
      }
      sec.classList.toggle("hidden", secVisible === 0);
      if (secVisible) { systems++; }
    }
    shown.textContent = "Showing " + fields + " field(s) in " + containers + " container(s) of " + systems + " system(s)";
    document.body.dataset.fieldsShown = String(fields);
  }
  kindSel.addEventListener("change", apply);
  sysSel.addEventListener("change", apply);
  apply();
})();
