// TypeScript test cases for policies/semgrep/javascript/xss.yaml (secscan rule pack).
export function renderComment(el: HTMLElement, comment: string): void {
  // ruleid: javascript-innerhtml-xss
  el.innerHTML = `<p>${comment}</p>`;
}

export function renderCommentOk(el: HTMLElement, comment: string): void {
  // ok: javascript-innerhtml-xss
  el.textContent = comment;
}
