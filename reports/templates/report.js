"use strict";
// Filters and expands the findings table. No network, no eval, no inline handlers (the CSP forbids them).
(function () {
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody.finding"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("#filters select[data-filter]"));
  var text = document.getElementById("filter-text");
  var shown = document.getElementById("shown-count");
  var none = document.getElementById("no-match");

  function matches(row, key, value) {
    if (!value) { return true; }
    if (key === "control") {
      return (" " + row.getAttribute("data-controls") + " ").indexOf(" " + value + " ") !== -1;
    }
    return row.getAttribute("data-" + key) === value;
  }

  function apply() {
    var words = (text.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var ok = selects.every(function (s) { return matches(row, s.getAttribute("data-filter"), s.value); });
      if (ok && words.length) {
        var hay = row.getAttribute("data-search");
        ok = words.every(function (w) { return hay.indexOf(w) !== -1; });
      }
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = String(count);
    none.hidden = count !== 0;
  }

  selects.forEach(function (s) { s.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  document.getElementById("filters").addEventListener("reset", function () { setTimeout(apply, 0); });
  document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); });

  function toggle(button, open) {
    var detail = document.getElementById(button.getAttribute("aria-controls"));
    var expand = open === undefined ? button.getAttribute("aria-expanded") !== "true" : open;
    button.setAttribute("aria-expanded", expand ? "true" : "false");
    detail.hidden = !expand;
  }
  table.addEventListener("click", function (e) {
    var button = e.target.closest("button.toggle");
    if (button) { toggle(button); }
  });

  // Matrix counts jump to the findings of that control.
  Array.prototype.forEach.call(document.querySelectorAll("a.control-link"), function (a) {
    a.addEventListener("click", function () {
      selects.forEach(function (s) { s.value = ""; });
      text.value = "";
      document.getElementById("filter-control").value = a.getAttribute("data-control");
      document.getElementById("filter-status").value = a.getAttribute("data-status") || "";
      apply();
    });
  });

  // Opening a link to one finding (#f-...) shows its details.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var row = id && document.getElementById(id);
    if (row && row.classList.contains("finding")) {
      row.hidden = false;
      toggle(row.querySelector("button.toggle"), true);
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // Paper shows every detail.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(table.querySelectorAll("button.toggle"), function (b) { toggle(b, true); });
  });
})();
