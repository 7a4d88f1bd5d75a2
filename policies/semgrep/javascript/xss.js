// Test cases for policies/semgrep/javascript/xss.yaml (secscan rule pack).
function showName(name) {
  const el = document.getElementById("greeting");
  // ruleid: javascript-innerhtml-xss
  el.innerHTML = "<b>Hello " + name + "</b>";
}

function showHash() {
  // ruleid: javascript-innerhtml-xss
  document.querySelector("#out").innerHTML = decodeURIComponent(location.hash.slice(1));
}

function appendRow(table, row) {
  // ruleid: javascript-innerhtml-xss
  table.insertAdjacentHTML("beforeend", `<tr><td>${row.comment}</td></tr>`);
}

function showNameOk(name) {
  const el = document.getElementById("greeting");
  // ok: javascript-innerhtml-xss
  el.textContent = "Hello " + name;
}

function clearOk(el) {
  // ok: javascript-innerhtml-xss
  el.innerHTML = "";
}

function sanitizedOk(el, html) {
  // ok: javascript-innerhtml-xss
  el.innerHTML = DOMPurify.sanitize(html);
}

function banner(campaign) {
  // ruleid: javascript-document-write-xss
  document.write("<h2>" + campaign + "</h2>");
}

function bannerQuery() {
  const params = new URLSearchParams(location.search);
  // ruleid: javascript-document-write-xss
  document.writeln(params.get("msg"));
}

function bannerOk() {
  // ok: javascript-document-write-xss
  document.write("<p>Static footer</p>");
}
