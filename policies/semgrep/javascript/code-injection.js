// Test cases for policies/semgrep/javascript/code-injection.yaml (secscan rule pack).
const vm = require("vm");

function calc(req, res) {
  // ruleid: javascript-eval-injection
  res.send(String(eval(req.query.expr)));
}

function compile(body) {
  // ruleid: javascript-eval-injection
  return new Function("item", body);
}

function sandbox(code) {
  // ruleid: javascript-eval-injection
  return vm.runInNewContext(code, {});
}

function later(name) {
  // ruleid: javascript-eval-injection
  setTimeout("greet('" + name + "')", 100);
}

function parse(text) {
  // ok: javascript-eval-injection
  return JSON.parse(text);
}

function constant() {
  // ok: javascript-eval-injection
  return eval("1 + 1");
}

function constantFn() {
  // ok: javascript-eval-injection
  return new Function("a", "b", "return a + b");
}

function laterOk(name) {
  // ok: javascript-eval-injection
  setTimeout(() => greet(name), 100);
}
