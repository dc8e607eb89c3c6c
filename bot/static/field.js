// The field form: send each entry at once, or keep it on this phone until the connection returns.
"use strict";

(function () {
  const KEY = "field-signups-waiting"; // entries not yet sent, oldest first, in localStorage
  const REFUSED_KEY = "field-signups-refused"; // entries the server refused, to enter again
  const RETRY_MS = 30000; // "online" can be missed (a captive portal, a flaky hall Wi-Fi)
  const form = document.getElementById("signup");
  if (!form) return;
  const waiting = document.getElementById("waiting");
  const result = document.getElementById("result");
  const refused = document.getElementById("refused");
  const button = form.querySelector("button[type=submit]");
  let token = form.elements.csrf_token.value;
  let flushing = false;

  function queued(key = KEY) {
    try {
      const queue = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(queue) ? queue : [];
    } catch (error) {
      return [];
    }
  }

  function store(queue) {
    localStorage.setItem(KEY, JSON.stringify(queue));
    showWaiting();
  }

  function showWaiting() {
    const count = queued().length;
    waiting.hidden = count === 0;
    waiting.textContent = count === 1 ? "1 waiting to send" : `${count} waiting to send`;
  }

  function say(text, kind) {
    result.textContent = text;
    result.className = `result ${kind}`;
    result.hidden = false;
  }

  function showError(field, error) {
    for (const note of form.querySelectorAll(".field-error")) {
      note.hidden = true;
      note.textContent = "";
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
    }
    if (!field) return;
    const note = document.getElementById(`${field}-error`);
    if (!note) {
      say(error, "bad");
      return;
    }
    note.textContent = error;
    note.hidden = false;
    form.elements[field].setAttribute("aria-invalid", "true");
    form.elements[field].focus();
  }

  function read() {
    const id = window.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    return {
      id,
      event: form.elements.event.value,
      name: form.elements.name.value.trim(),
      phone: form.elements.phone.value.trim(),
      zip: form.elements.zip.value.trim(),
      language: form.elements.language.checked ? "es" : "en",
    };
  }

  function clear() {
    for (const name of ["name", "phone", "zip"]) form.elements[name].value = "";
    form.elements.language.checked = false;
    form.elements.name.focus(); // ready for the next person in line
  }

  // One attempt. "sent" and "refused" carry the server's answer; "login" means the session
  // or its CSRF token lapsed; "offline" means keep the entry and try again later.
  async function send(entry) {
    let response;
    try {
      response = await fetch(form.dataset.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": token,
        },
        body: JSON.stringify(entry),
      });
    } catch (error) {
      return { kind: "offline" };
    }
    const isJson = (response.headers.get("Content-Type") || "").includes("json");
    const body = isJson ? await response.json().catch(() => null) : null;
    if (response.ok && body && body.message) return { kind: "sent", ...body };
    if (response.status === 400 && body && "field" in body) return { kind: "refused", ...body };
    // The account's sign-up texts for the hour are spent: the entry waits on the phone.
    if (response.status === 429 && body && body.error) return { kind: "held", ...body };
    // A lapsed login answers with the login page; a stale CSRF token with a plain 400.
    if (response.redirected || [400, 401, 403].includes(response.status)) return { kind: "login" };
    return { kind: "offline" }; // the server is struggling: keep it for later
  }

  // A page left open offline for hours holds a stale CSRF token: ask for a fresh one.
  async function freshToken() {
    try {
      const response = await fetch(form.dataset.tokenUrl, { credentials: "same-origin" });
      if (!(response.headers.get("Content-Type") || "").includes("json")) return "login";
      token = (await response.json()).csrf_token;
      return "ok";
    } catch (error) {
      return "offline";
    }
  }

  function keep(entry, why) {
    store(queued().concat([entry]));
    say(`${why} ${entry.name} is saved on this phone and will be sent by itself.`, "warn");
    clear();
  }

  // A refused entry stays on this phone, through a reload, until it is entered again.
  function showRefused() {
    refused.replaceChildren();
    for (const entry of queued(REFUSED_KEY)) {
      const item = document.createElement("li");
      item.textContent = `Not sent: ${entry.name}, ${entry.phone}, ${entry.zip}. ${entry.error} `;
      const again = document.createElement("button");
      again.type = "button";
      again.className = "link";
      again.textContent = "Correct and send";
      again.addEventListener("click", () => {
        for (const name of ["name", "phone", "zip"]) form.elements[name].value = entry[name];
        form.elements.language.checked = entry.language === "es";
        forget(entry);
        showError(entry.field, entry.error);
      });
      item.append(again);
      refused.append(item);
    }
    refused.hidden = refused.children.length === 0;
  }

  function forget(entry) {
    const left = queued(REFUSED_KEY).filter((kept) => kept.id !== entry.id);
    localStorage.setItem(REFUSED_KEY, JSON.stringify(left));
    showRefused();
  }

  function refuse(entry, field, error) {
    const kept = queued(REFUSED_KEY).concat([{ ...entry, field, error }]);
    localStorage.setItem(REFUSED_KEY, JSON.stringify(kept));
    showRefused();
  }

  async function flush() {
    if (flushing || queued().length === 0) return;
    flushing = true;
    let sent = 0;
    try {
      const fresh = await freshToken();
      if (fresh === "login") say("Log in again to send the entries waiting on this phone.", "bad");
      if (fresh !== "ok") return;
      for (const entry of queued()) {
        const answer = await send(entry);
        if (["offline", "login", "held"].includes(answer.kind)) break;
        if (answer.kind === "refused") refuse(entry, answer.field, answer.error);
        else sent += 1;
        store(queued().filter((kept) => kept.id !== entry.id));
      }
      if (sent > 0) {
        const who = sent === 1 ? "1 waiting entry" : `${sent} waiting entries`;
        say(`Sent ${who}: each person gets a text to confirm.`, "good");
      }
    } finally {
      flushing = false;
      showWaiting();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const entry = read();
    const missing = ["name", "phone", "zip"].find((field) => !entry[field]);
    if (missing) {
      showError(missing, "Fill this in.");
      return;
    }
    showError(null);
    result.hidden = true; // the last person's "Sent …" is not this one's answer
    if (!navigator.onLine) {
      keep(entry, "No connection:");
      return;
    }
    button.disabled = true;
    let answer = await send(entry);
    if (answer.kind === "login" && (await freshToken()) === "ok") answer = await send(entry);
    button.disabled = false;
    if (answer.kind === "sent") {
      say(answer.message, "good");
      clear();
    } else if (answer.kind === "refused") {
      showError(answer.field, answer.error);
    } else if (answer.kind === "login") {
      keep(entry, "Your login has lapsed: log in again.");
    } else if (answer.kind === "held") {
      keep(entry, answer.error);
    } else {
      keep(entry, "No connection:");
    }
  });

  window.addEventListener("online", flush);
  setInterval(() => navigator.onLine && flush(), RETRY_MS);
  showWaiting();
  showRefused();
  flush();
})();
