// Sorts the findings table by risk (shown only when some finding has EPSS or KEV data):
// highest first, a second click lowest first, a third the report's own order.
(function () {
  var table = document.getElementById("findings-table");
  var button = document.getElementById("sort-risk");
  if (!table || !button) { return; }
  var header = button.parentNode;
  var original = Array.prototype.slice.call(table.querySelectorAll("tbody.finding"));
  var states = ["none", "descending", "ascending"];

  function risk(body) {
    var cell = body.querySelector("td[data-risk]");
    return cell ? parseFloat(cell.getAttribute("data-risk")) : -1;
  }

  button.addEventListener("click", function () {
    var next = states[(states.indexOf(header.getAttribute("aria-sort")) + 1) % states.length];
    header.setAttribute("aria-sort", next);
    var rows = original.slice();
    if (next !== "none") {
      var sign = next === "descending" ? -1 : 1;
      // Array.prototype.sort is stable: equal risks keep the report's order.
      rows.sort(function (a, b) { return sign * (risk(a) - risk(b)); });
    }
    rows.forEach(function (row) { table.appendChild(row); });
  });
})();
