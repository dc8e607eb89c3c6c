// The campaign form: each text says, as it is typed, how it is encoded and in how many segments.
// The counting follows bot/segments.py; the alphabets come from it through the page.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const section of document.querySelectorAll("[data-measure]")) {
    const basic = new Set(section.dataset.gsm);
    const extension = new Set(section.dataset.gsmExtension);
    const values = { ...JSON.parse(section.dataset.sample), organization: section.dataset.organization };
    const measure = (template) => {
      const text = template.replace(/\{(\w+)\}/g, (whole, name) => values[name] ?? whole);
      const chars = [...text];
      const ucs2 = chars.some((c) => !basic.has(c) && !extension.has(c));
      const sizes = chars.map((c) => (ucs2 ? c.length : extension.has(c) ? 2 : 1));
      const [single, part] = ucs2 ? [70, 67] : [160, 153];
      const total = sizes.reduce((a, b) => a + b, 0);
      let count = 1;
      if (total > single) {
        let used = 0;
        for (const size of sizes) {
          if (used + size > part) { count += 1; used = 0; }
          used += size;
        }
      }
      return `${ucs2 ? "UCS-2" : "GSM-7"}, ${count} segment${count === 1 ? "" : "s"}`;
    };
    for (const label of section.querySelectorAll("label")) {
      const area = label.querySelector("textarea");
      const shown = label.querySelector("[data-segments]");
      if (!area || !shown) continue;
      const update = () => { shown.textContent = measure(area.value.trim().split(/\s+/).join(" ")); };
      area.addEventListener("input", update);
      update();
    }
  }
});
