// Bars drawn to a share: each [data-width] element gets that percentage as its width.
// (Set here and not in a style="" attribute: the Content-Security-Policy allows none.)
"use strict";

for (const bar of document.querySelectorAll("[data-width]")) {
  bar.style.width = `${bar.dataset.width}%`;
}
