// The stage screen: ask for the event's count every 3 seconds and show it, big.
"use strict";

(function () {
  const POLL_MS = 3000;
  const stage = document.querySelector("[data-poll]");
  if (!stage) return;
  const figure = stage.querySelector("[data-count]");
  let shown = Number(figure.textContent.replace(/\D/g, ""));

  async function refresh() {
    try {
      const response = await fetch(stage.dataset.poll, { cache: "no-store" });
      if (response.ok) {
        const { count } = await response.json();
        if (count !== shown) {
          figure.textContent = count.toLocaleString("en-US");
          document.title = document.title.replace(/^[\d,]+/, count.toLocaleString("en-US"));
          // A short pulse so the hall sees the number move.
          stage.classList.remove("bump");
          void stage.offsetWidth;
          stage.classList.add("bump");
          shown = count;
        }
        stage.classList.remove("stale");
      } else {
        stage.classList.add("stale");
      }
    } catch (error) {
      stage.classList.add("stale"); // the hall's Wi-Fi blinked; the next poll tries again
    }
    setTimeout(refresh, POLL_MS);
  }
  setTimeout(refresh, POLL_MS);
})();
