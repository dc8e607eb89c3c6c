// Broadcast pages: follow a sending broadcast's figures, ask before canceling, pick the zone.
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
          const shown = document.querySelector(`[data-figure="${key}"]`);
          if (shown) shown.textContent = typeof value === "number" ? value.toLocaleString("en-US") : value;
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
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // One click sends once: a second click while the page loads would make a second broadcast.
  for (const form of document.querySelectorAll("form.confirm")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button")) button.disabled = true;
    });
  }
  const zone = document.querySelector("select[data-browser-zone]");
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // Only on a fresh form: a previewed draft keeps the zone the organizer chose.
  if (zone && !document.querySelector(".preview") && [...zone.options].some((o) => o.value === local)) {
    zone.value = local;
  }
});
