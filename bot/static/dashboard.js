// The dashboard's few behaviours: live counts on the home page, print buttons.
"use strict";

(function () {
  const POLL_MS = 10000;

  function pollCounts(grid) {
    const url = grid.dataset.poll;
    async function refresh() {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        // A lapsed login answers with the login page: stop rather than show nonsense.
        if (!response.ok || !response.headers.get("Content-Type").includes("json")) return;
        const counts = await response.json();
        for (const figure of grid.querySelectorAll("[data-count-for]")) {
          const count = counts[figure.dataset.countFor];
          if (count !== undefined) figure.textContent = count.toLocaleString("en-US");
        }
      } catch (error) {
        // The network blinked; the next poll tries again.
      }
      setTimeout(refresh, POLL_MS);
    }
    setTimeout(refresh, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const grid = document.querySelector("[data-poll]");
    if (grid) pollCounts(grid);
    for (const button of document.querySelectorAll("[data-print]")) {
      button.addEventListener("click", function () { window.print(); });
    }
  });
})();
