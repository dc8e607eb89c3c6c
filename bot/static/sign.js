// The printable sign: its print button, and the keyword sized to fill its line.
// (Here and not in the page: the Content-Security-Policy runs no inline script or style.)
"use strict";

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
for (const keyword of document.querySelectorAll("[data-chars]")) {
  keyword.style.setProperty("--chars", keyword.dataset.chars);
}
