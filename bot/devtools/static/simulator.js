// The phone simulator: send texts as a phone number and show its stored conversation.
(function () {
  "use strict";

  const root = document.querySelector(".phone");
  const messagesUrl = root.dataset.messagesUrl;
  const hint = root.dataset.hint;
  const phoneInput = document.getElementById("phone");
  const phoneList = document.getElementById("phones");
  const thread = document.getElementById("thread");
  const form = document.getElementById("composer");
  const bodyInput = document.getElementById("body");
  const sendButton = document.getElementById("send");
  const errorLine = document.getElementById("error");
  const POLL_MS = 1500;
  const USED_KEY = "simulator.phones";

  let phone = phoneInput.value;
  let shown = ""; // what the thread shows now, to skip redrawing an unchanged thread
  let busy = false;
  let pollFailed = false;
  let latest = 0; // numbers each request, so a slow older answer never overwrites a newer one

  function showError(text) {
    errorLine.textContent = text || "";
  }

  function madeUpPhone() {
    // 555-0100 to 555-0199 are reserved for fiction.
    return "+1404555" + String(100 + Math.floor(Math.random() * 100)).padStart(4, "0");
  }

  function rememberPhone(number) {
    let used = [];
    try {
      used = JSON.parse(localStorage.getItem(USED_KEY) || "[]");
    } catch (ignored) {
      used = [];
    }
    used = [number].concat(used.filter((n) => n !== number)).slice(0, 10);
    try {
      localStorage.setItem(USED_KEY, JSON.stringify(used));
    } catch (ignored) {
      // Private windows may refuse storage; the list is only a convenience.
    }
    phoneList.replaceChildren(
      ...used.map((n) => Object.assign(document.createElement("option"), { value: n }))
    );
  }

  function usePhone(number) {
    phone = number;
    phoneInput.value = number;
    shown = "";
    const url = new URL(window.location.href);
    url.searchParams.set("phone", number);
    history.replaceState(null, "", url);
    rememberPhone(number);
  }

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function bubble(message) {
    const item = document.createElement("div");
    item.className = "msg " + message.direction;
    if (message.kind === "confirmation") {
      item.classList.add("confirmation");
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "✓ Confirmation";
      item.append(tag);
    }
    const text = document.createElement("div");
    text.className = "bubble";
    text.textContent = message.body || "(empty text)";
    const meta = document.createElement("span");
    meta.className = "meta";
    if (message.status === "failed" || message.status === "undelivered") {
      meta.classList.add("failed");
    }
    meta.textContent = timeOf(message.at) + " · " + message.status;
    if (message.failure) meta.textContent += ": " + message.failure;
    if (message.kind === "reply" && message.status === "sending") {
      // Only Twilio's status callback moves a reply on; the simulator has no Twilio.
      meta.title = "Replies stay 'sending' here: Twilio's delivery report never comes.";
    }
    item.append(text, meta);
    return item;
  }

  function render(data) {
    if (data.phone !== phone) return; // an answer for a number we have since left
    const signature = JSON.stringify(data.messages);
    if (signature === shown) return;
    const nearBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
    shown = signature;
    if (data.messages.length === 0) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "No texts yet. " + hint + ".";
      thread.replaceChildren(empty);
      return;
    }
    thread.replaceChildren(...data.messages.map(bubble));
    if (nearBottom || busy) thread.scrollTop = thread.scrollHeight;
  }

  async function call(url, options) {
    const response = await fetch(url, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "the server said " + response.status);
    return data;
  }

  async function refresh() {
    if (busy || document.hidden) return;
    const ticket = ++latest;
    try {
      const data = await call(messagesUrl + "?phone=" + encodeURIComponent(phone));
      if (ticket === latest) render(data);
      if (pollFailed) showError("");
      pollFailed = false;
    } catch (error) {
      pollFailed = true;
      showError(error.message);
    }
  }

  async function send() {
    if (busy) return;
    busy = true;
    sendButton.disabled = true;
    showError("");
    latest++;
    // Taken out of the box as it goes, so what is typed while it is on its way is kept.
    const body = bodyInput.value;
    bodyInput.value = "";
    fitBody();
    try {
      const data = await call(messagesUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ phone: phone, body: body }),
      });
      render(data);
      thread.scrollTop = thread.scrollHeight;
    } catch (error) {
      showError(error.message);
      // Not sent: give it back, ahead of anything typed since.
      bodyInput.value = bodyInput.value ? body + " " + bodyInput.value : body;
      fitBody();
    } finally {
      busy = false;
      sendButton.disabled = false;
      bodyInput.focus();
    }
  }

  async function changePhone(raw) {
    showError("");
    latest++;
    try {
      const data = await call(messagesUrl + "?phone=" + encodeURIComponent(raw));
      usePhone(data.phone);
      render(data);
      thread.scrollTop = thread.scrollHeight;
    } catch (error) {
      showError(error.message);
      phoneInput.value = phone;
    }
  }

  function fitBody() {
    bodyInput.style.height = "auto";
    bodyInput.style.height = bodyInput.scrollHeight + 2 + "px";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  bodyInput.addEventListener("keydown", (event) => {
    // Enter sends, as on a phone; Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  bodyInput.addEventListener("input", fitBody);
  phoneInput.addEventListener("change", () => changePhone(phoneInput.value));
  phoneInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      phoneInput.blur(); // fires "change"
      bodyInput.focus();
    }
  });
  document.getElementById("new-phone").addEventListener("click", () => {
    showError("");
    usePhone(madeUpPhone());
    refresh();
    bodyInput.focus();
  });

  usePhone(phone);
  refresh();
  setInterval(refresh, POLL_MS);
})();
