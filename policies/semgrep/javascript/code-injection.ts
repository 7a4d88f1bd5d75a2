// TypeScript test cases for policies/semgrep/javascript/code-injection.yaml (secscan rule pack).
export function runFormula(formula: string, price: number): number {
  // ruleid: javascript-eval-injection
  return eval(formula.replace("price", String(price))) as number;
}

export function runConstant(): number {
  // ok: javascript-eval-injection
  return eval("2 * 21") as number;
}
