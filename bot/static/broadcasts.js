// Broadcast pages: follow a sending broadcast's figures, pick the zone.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("[data-poll]");
  if (section) {
    const status = document.querySelector('[data-figure="status"]').textContent;
    const poll = async () => {
      try {
        const response = await fetch(section.dataset.poll, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const figures = await response.json();
        for (const [key, value] of Object.entries(figures)) {
          // The cards and the delivery report show the same figures: update every copy.
          for (const shown of document.querySelectorAll(`[data-figure="${key}"]`)) {
            shown.textContent = typeof value === "number" ? value.toLocaleString("en-US") : value;
          }
        }
        const meter = document.querySelector("[data-meter]");
        if (meter && figures.planned) meter.style.width = `${(100 * figures.handled) / figures.planned}%`;
        // A new status changes the buttons and the report: show the whole page again.
        if (figures.status !== status) { window.location.reload(); return; }
      } catch (error) { /* the next poll tries again */ }
      setTimeout(poll, 3000);
    };
    setTimeout(poll, 3000);
  }
  const compose = document.querySelector("form#compose");
  const send = document.querySelector("button[data-send]");
  if (compose && send) {
    // What the preview showed; any change to it makes Send wait for a new preview.
    const drawn = () => {
      const fields = new FormData(compose);
      for (const skip of ["csrf_token", "previewed", "test_phone", "action"]) fields.delete(skip);
      return new URLSearchParams(fields).toString();
    };
    const previewed = drawn();
    const label = send.textContent;
    const wasDisabled = send.disabled;
    const changed = document.querySelector("[data-changed]");
    const check = () => {
      const stale = drawn() !== previewed;
      send.disabled = stale || wasDisabled;
      send.textContent = stale ? "Preview again" : label;
      if (changed) changed.hidden = !stale;
    };
    compose.addEventListener("input", check);
    compose.addEventListener("change", check);
    // One click sends once: a second click while the page loads would make a second broadcast.
    compose.addEventListener("submit", (event) => {
      if (event.submitter === send) setTimeout(() => { send.disabled = true; }, 0);
    });
  }
  const zone = document.querySelector("select[data-browser-zone]");
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // Only on a fresh form: a previewed draft keeps the zone the organizer chose.
  if (zone && !document.querySelector(".preview") && [...zone.options].some((o) => o.value === local)) {
    zone.value = local;
  }
});
