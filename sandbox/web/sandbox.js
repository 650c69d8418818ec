// TukuLokal sandbox: the chat page. Plain JavaScript, no dependencies, nothing from outside.
"use strict";

const $ = (selector) => document.querySelector(selector);
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
const ACTION_HEADERS = { "Content-Type": "application/json", "X-TukuLokal-Sandbox": "1" };

const state = {
  current: null, // persona key
  version: "",
  personas: [],
  bot: { username: "TukuLokalBot", name: "TukuLokal" },
  timezone: "Asia/Jakarta",
  language: "id",
  chat: null,
  nodes: new Map(), // message id -> {sig, el}
  keyboardSig: "",
  keyboardOpen: true,
  controller: null,
  busy: 0,
  stick: true, // the chat is scrolled to its newest message: keep it there
};

// ------------------------------------------------------------------ small helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value; // CSSOM: allowed by the page's CSP
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function initials(name) {
  const words = name.replace(/[^\p{L}\p{N} ]/gu, "").split(/\s+/).filter(Boolean);
  return ((words[0] || "?")[0] + (words[1] ? words[1][0] : "")).toUpperCase();
}

function colorFor(key) {
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return COLORS[hash % COLORS.length];
}

function sizeLabel(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function timeLabel(seconds) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: state.timezone, hour: "2-digit", minute: "2-digit",
  }).format(new Date(seconds * 1000));
}

function dayLabel(seconds) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: state.timezone, weekday: "long", day: "numeric", month: "long", year: "numeric",
  }).format(new Date(seconds * 1000));
}

let toastTimer = null;
function toast(text, ms = 2600) {
  const box = $("#toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}

function modal(text, { confirm = false, ok = "OK" } = {}) {
  return new Promise((resolve) => {
    const box = $("#modal");
    $("#modal-text").textContent = text;
    $("#modal-ok").textContent = ok;
    $("#modal-cancel").hidden = !confirm;
    box.hidden = false;
    const done = (value) => {
      box.hidden = true;
      $("#modal-ok").onclick = null;
      $("#modal-cancel").onclick = null;
      resolve(value);
    };
    $("#modal-ok").onclick = () => done(true);
    $("#modal-cancel").onclick = () => done(false);
    $("#modal-ok").focus();
  });
}

async function post(path, body) {
  state.busy += 1;
  document.body.classList.add("busy");
  try {
    const response = await fetch(path, {
      method: "POST", headers: ACTION_HEADERS, body: JSON.stringify(body || {}),
    });
    if (!response.ok) {
      const message = await response.text();
      toast(message || `Error ${response.status}`);
      return null;
    }
    return await response.json();
  } catch (error) {
    toast("The sandbox is not answering. Is it still running?");
    return null;
  } finally {
    state.busy -= 1;
    if (!state.busy) document.body.classList.remove("busy");
  }
}

// ------------------------------------------------------------------ Telegram text

const LINK_RE = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'»])|(\bt\.me\/[^\s<>"]+[^\s<>".,;:!?)\]'»])|((?:^|(?<=[\s(]))\/[a-zA-Z0-9_]{1,32}(?=$|[\s.,;:!?)]))/g;

function linkify(text, parent) {
  let last = 0;
  for (const match of text.matchAll(LINK_RE)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    const token = match[0];
    if (match[3]) {
      parent.append(el("span", { class: "cmd", role: "link", "data-command": token, text: token }));
    } else {
      const href = token.startsWith("http") ? token : `https://${token}`;
      parent.append(el("a", { href, "data-link": href, text: token }));
    }
    last = match.index + token.length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

function entityNode(entity, inner) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "spoiler": return el("span", { class: "spoiler", title: "Spoiler" });
    case "code": return el("code", { title: "Copy" });
    case "pre": return el("pre", {}, el("code"));
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "text_link": return el("a", { href: entity.url, "data-link": entity.url });
    case "url": {
      const href = /^https?:/i.test(inner) ? inner : `https://${inner}`;
      return el("a", { href, "data-link": href });
    }
    case "email": return el("a", { href: `mailto:${inner}` });
    case "bot_command": return el("span", { class: "cmd", "data-command": inner.split("@")[0] });
    default: return el("span", { class: `entity-${entity.type}` });
  }
}

// Offsets are UTF-16 code units, as JavaScript strings count them.
function renderText(text, entities) {
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const root = document.createDocumentFragment();
  const plain = (from, to, parent, raw) => {
    if (to <= from) return;
    const piece = text.slice(from, to);
    if (raw) parent.append(piece);
    else linkify(piece, parent);
  };
  const build = (start, end, list, parent, raw) => {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      if (entity.offset < pos) { i += 1; continue; } // overlapping: Telegram nests, skip
      const stop = Math.min(entity.offset + entity.length, end);
      plain(pos, entity.offset, parent, raw);
      const children = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < stop) {
        if (list[j].offset + list[j].length <= stop) children.push(list[j]);
        j += 1;
      }
      const node = entityNode(entity, text.slice(entity.offset, stop));
      const target = node.tagName === "PRE" ? node.firstChild : node;
      const literal = raw || ["code", "pre", "text_link", "url", "email", "bot_command"].includes(entity.type);
      build(entity.offset, stop, children, target, literal);
      parent.append(node);
      pos = stop;
      i = j;
    }
    plain(pos, end, parent, raw);
  };
  build(0, text.length, sorted, root, false);
  return root;
}

// ------------------------------------------------------------------ links and commands

const startLink = () => new RegExp(
  `^(?:https?://)?(?:www\\.)?(?:t\\.me|telegram\\.me)/${state.bot.username}(?:\\?start=([A-Za-z0-9_-]{1,64}))?$`, "i");

async function openLink(url) {
  const match = startLink().exec(url);
  if (match) {
    await post(`/api/chat/${state.current}/start`, { payload: match[1] || "" });
    return;
  }
  const go = await modal(`Open this link in a new tab?\n\n${url}\n\nIt leaves the sandbox.`, { confirm: true, ok: "Open" });
  if (go) window.open(url, "_blank", "noopener,noreferrer");
}

async function sendText(text) {
  const trimmed = text.trim();
  if (!trimmed || !state.current) return;
  await post(`/api/chat/${state.current}/send`, { text: trimmed });
}

// ------------------------------------------------------------------ rendering the chat

function messageNode(message) {
  const bubble = el("div", { class: `bubble clearfix${message.photo ? " has-photo" : ""}` });
  if (message.forwarded) bubble.append(el("div", { class: "doc-size", text: "Forwarded message" }));
  if (message.photo) {
    const img = el("img", {
      class: "photo", src: message.photo.url, alt: "Photo", loading: "lazy",
      width: message.photo.width || undefined, height: message.photo.height || undefined,
    });
    img.addEventListener("click", () => window.open(message.photo.url, "_blank", "noopener"));
    img.addEventListener("load", () => { if (state.stick) toBottom(); });
    bubble.append(img);
  }
  if (message.document) {
    const doc = message.document;
    bubble.append(el("a", { class: "document", href: doc.url, download: doc.name, title: "Download" },
      el("span", { class: "doc-icon", "aria-hidden": "true", text: "⬇" }),
      el("span", {}, el("div", { class: "doc-name", text: doc.name }),
        el("div", { class: "doc-size", text: sizeLabel(doc.size) }))));
  }
  if (message.contact) {
    bubble.append(el("div", { class: "contact" },
      el("span", { class: "avatar", "aria-hidden": "true", text: "📱" }),
      el("span", {}, el("div", { class: "doc-name", text: message.contact.name || "Contact" }),
        el("div", { class: "doc-size", text: message.contact.phone || "" }))));
  }
  if (message.text) {
    const text = el("div", { class: "text" });
    text.append(renderText(message.text, message.entities));
    bubble.append(text);
  }
  const meta = el("span", { class: "meta" });
  if (message.edited) meta.append(el("span", { class: "edited", text: "edited" }));
  meta.append(timeLabel(message.date));
  if (message.out) meta.append(" ✓✓");
  (bubble.querySelector(".text") || bubble).append(meta);
  const node = el("div", { class: `msg${message.out ? " out" : ""}`, "data-id": message.id }, bubble);
  if (message.buttons) {
    const rows = el("div", { class: "ikb-rows" });
    for (const row of message.buttons) {
      const line = el("div", { class: "ikb-row" });
      for (const button of row) line.append(inlineButton(message, button));
      rows.append(line);
    }
    node.append(rows);
  }
  return node;
}

function inlineButton(message, button) {
  const marks = { url: "↗", copy: "⧉" };
  const node = el("button", { type: "button", class: "ikb", title: button.text },
    button.text, marks[button.type] ? el("span", { class: "kind", "aria-hidden": "true", text: marks[button.type] }) : null);
  node.addEventListener("click", async () => {
    if (button.type === "callback") {
      node.classList.add("busy");
      const result = await post(`/api/chat/${state.current}/tap`, { message_id: message.id, data: button.data });
      node.classList.remove("busy");
      const answer = result && result.answer;
      if (answer && answer.url) await openLink(answer.url);
      if (answer && answer.text) {
        if (answer.alert) await modal(answer.text);
        else toast(answer.text);
      }
    } else if (button.type === "url") {
      await openLink(button.url);
    } else if (button.type === "copy") {
      try { await navigator.clipboard.writeText(button.copy); toast("Copied to the clipboard"); }
      catch { await modal(button.copy); }
    } else {
      toast("This kind of button does nothing in the sandbox.");
    }
  });
  return node;
}

function emptyChat(persona) {
  return el("div", { class: "empty" },
    el("h2", { text: "What can this bot do?" }),
    el("div", { text: "TukuLokal brings the monthly spending of Kota Malang's ASN to local UMKM: search and order from local shops, pay by QRIS and follow the monthly minimum." }),
    el("div", { class: "doc-size", style: "color:#fff;margin-top:8px", text: persona ? persona.hint : "" }));
}

function toBottom() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
  state.stick = true;
}

function renderChat(chat) {
  const box = $("#messages");
  const stick = state.stick;
  const persona = state.personas.find((p) => p.key === chat.persona);
  const seen = new Set();
  const nodes = [];
  let lastDay = "";
  let grew = false;
  for (const message of chat.messages) {
    const day = dayLabel(message.date);
    if (day !== lastDay) {
      nodes.push(el("div", { class: "day", text: day }));
      lastDay = day;
    }
    const sig = JSON.stringify(message);
    const known = state.nodes.get(message.id);
    let node;
    if (known && known.sig === sig) {
      node = known.el;
    } else {
      node = messageNode(message);
      if (known) node.classList.add("flash");
      else if (message.out) grew = true; // what I just sent: show it
      state.nodes.set(message.id, { sig, el: node });
    }
    seen.add(message.id);
    nodes.push(node);
  }
  for (const id of [...state.nodes.keys()]) if (!seen.has(id)) state.nodes.delete(id);
  if (!chat.messages.length) nodes.push(emptyChat(persona));
  box.replaceChildren(...nodes);

  const empty = chat.messages.length === 0;
  $("#start-bar").hidden = !empty;
  $("#input-row").hidden = empty;
  renderKeyboard(empty ? null : chat.keyboard);
  renderCommands(chat.commands || []);
  const placeholder = chat.force_reply || (chat.keyboard && chat.keyboard.placeholder) || "Message";
  $("#text").placeholder = placeholder;
  // Last: the keyboard above changes the height left for the messages.
  if (stick || grew) toBottom();
}

function renderKeyboard(keyboard) {
  const panel = $("#reply-keyboard");
  const sig = JSON.stringify(keyboard);
  if (sig !== state.keyboardSig) {
    state.keyboardSig = sig;
    state.keyboardOpen = true; // a new keyboard from the bot shows up open
  }
  $("#kb-toggle").hidden = !keyboard;
  if (!keyboard) {
    panel.hidden = true;
    panel.replaceChildren();
    return;
  }
  panel.replaceChildren(...keyboard.rows.map((row) => el("div", { class: "rkb-row" },
    ...row.map((key) => {
      const node = el("button", { type: "button", class: `rkb${key.contact ? " contact" : ""}`, text: key.text });
      node.addEventListener("click", () => pressKey(key, keyboard));
      return node;
    }))));
  panel.hidden = !state.keyboardOpen;
  $("#kb-toggle").textContent = state.keyboardOpen ? "⌄" : "⌨️";
}

async function pressKey(key, keyboard) {
  if (key.unsupported) {
    toast("This kind of key does nothing in the sandbox.");
    return;
  }
  if (key.contact) {
    const persona = state.personas.find((p) => p.key === state.current);
    const phone = (persona && persona.phone) || "your number";
    const ok = await modal(`Share your phone number ${phone} with ${state.bot.name}?`, { confirm: true, ok: "Share" });
    if (!ok) return;
  }
  if (keyboard.one_time) {
    state.keyboardOpen = false;
    $("#reply-keyboard").hidden = true;
    $("#kb-toggle").textContent = "⌨️";
  }
  await post(`/api/chat/${state.current}/press`, { text: key.text });
}

function renderCommands(commands) {
  $("#menu-btn").hidden = commands.length === 0;
  $("#commands").replaceChildren(...commands.map((command) => {
    const item = el("button", { type: "button", class: "cmd-item", role: "menuitem" },
      el("span", { class: "c", text: `/${command.command}` }),
      el("span", { class: "d", text: command.description }));
    item.addEventListener("click", () => {
      $("#commands").hidden = true;
      sendText(`/${command.command}`);
    });
    return item;
  }));
}

function renderPersonas(personas) {
  state.personas = personas;
  const list = $("#personas");
  list.replaceChildren(...personas.map((p) => {
    const node = el("button", {
      type: "button", class: `persona${p.key === state.current ? " active" : ""}`,
      "data-persona": p.key, "aria-current": p.key === state.current ? "true" : undefined,
    },
    el("span", { class: "avatar", style: `background:${colorFor(p.key)}`, "aria-hidden": "true", text: initials(p.name) }),
    el("span", { class: "p-body" },
      el("div", { class: "p-name", text: p.name }),
      el("div", { class: "p-role", text: p.role }),
      p.last ? el("div", { class: "p-last", text: p.last }) : null),
    p.unread ? el("span", { class: "badge", "aria-label": `${p.unread} unread`, text: String(p.unread) }) : null);
    node.addEventListener("click", () => choose(p.key));
    return node;
  }));
  const others = personas.filter((p) => p.key !== state.current).reduce((sum, p) => sum + p.unread, 0);
  $("#back-badge").hidden = others === 0;
  $("#back-badge").textContent = String(others);
  const me = personas.find((p) => p.key === state.current);
  if (me) {
    $("#whoami").replaceChildren("You: ", el("b", { text: me.name }), ` · ${me.role}`);
    $("#persona-info").replaceChildren(el("b", { text: `You are ${me.name}` }), ` — ${me.about}. `, me.hint);
  }
}

function renderClock(clock) {
  $("#clock-label").textContent = clock.label;
  $("#clock-chip-label").textContent = clock.label.replace(/ \d{4},/, ",");
}

function renderLanguage(language) {
  state.language = language;
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.classList.toggle("on", button.dataset.lang === language);
  }
}

function apply(data) {
  state.version = data.version;
  state.bot = data.bot || state.bot;
  state.timezone = data.timezone || state.timezone;
  renderPersonas(data.personas);
  renderClock(data.clock);
  renderLanguage(data.language);
  if (data.chat && data.chat.persona === state.current) {
    state.chat = data.chat;
    renderChat(data.chat);
  }
}

// ------------------------------------------------------------------ polling

function chatVisible() {
  return state.current && !($("#app").classList.contains("show-list") && window.matchMedia("(max-width: 760px)").matches);
}

async function pollLoop() {
  for (;;) {
    const chat = chatVisible() ? state.current : "";
    const controller = new AbortController();
    state.controller = controller;
    try {
      const url = `/api/poll?chat=${encodeURIComponent(chat)}&v=${encodeURIComponent(state.version)}&wait=25`;
      const response = await fetch(url, { signal: controller.signal, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (controller.signal.aborted) continue;
      if (!data.unchanged) apply(data);
    } catch (error) {
      if (controller.signal.aborted) continue;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
}

function repoll() {
  state.version = "";
  if (state.controller) state.controller.abort();
}

function choose(key) {
  if (key !== state.current) {
    state.current = key;
    state.nodes.clear();
    state.keyboardSig = "";
    state.stick = true;
    $("#messages").replaceChildren();
    $("#text").value = "";
    history.replaceState(null, "", `#${key}`);
    try { localStorage.setItem("tukulokal-sandbox-persona", key); } catch { /* private mode */ }
  }
  $("#app").classList.remove("show-list");
  closePopups();
  repoll();
  $("#text").focus({ preventScroll: true });
}

// ------------------------------------------------------------------ composer and controls

function closePopups() {
  $("#commands").hidden = true;
  $("#attach-menu").hidden = true;
}

async function upload(kind, file) {
  if (!file || !state.current) return;
  const form = new FormData();
  form.append("kind", kind);
  form.append("file", file, file.name);
  const caption = $("#text").value.trim();
  if (caption) form.append("caption", caption);
  $("#text").value = "";
  state.busy += 1;
  try {
    const response = await fetch(`/api/chat/${state.current}/upload`, {
      method: "POST", body: form, headers: { "X-TukuLokal-Sandbox": "1" },
    });
    if (!response.ok) toast((await response.text()) || `Error ${response.status}`);
  } catch {
    toast("The sandbox is not answering. Is it still running?");
  } finally {
    state.busy -= 1;
  }
}

function autosize() {
  const box = $("#text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 140)}px`;
}

function wire() {
  const box = $("#messages");
  box.addEventListener("scroll", () => {
    state.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  });
  // The keyboard opening, a rotated phone: stay at the newest message.
  new ResizeObserver(() => { if (state.stick) box.scrollTop = box.scrollHeight; }).observe(box);
  $("#persona-info").addEventListener("click", () => $("#persona-info").classList.toggle("open"));
  $("#send").addEventListener("click", async () => {
    const text = $("#text").value;
    $("#text").value = "";
    autosize();
    await sendText(text);
    $("#text").focus({ preventScroll: true });
  });
  $("#text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("#send").click();
    }
  });
  $("#text").addEventListener("input", autosize);
  $("#start-btn").addEventListener("click", () => post(`/api/chat/${state.current}/start`, { payload: "" }));
  $("#menu-btn").addEventListener("click", (event) => {
    event.stopPropagation();
    const open = $("#commands").hidden;
    closePopups();
    $("#commands").hidden = !open;
  });
  $("#attach-btn").addEventListener("click", (event) => {
    event.stopPropagation();
    const open = $("#attach-menu").hidden;
    closePopups();
    $("#attach-menu").hidden = !open;
  });
  for (const item of document.querySelectorAll("[data-attach]")) {
    item.addEventListener("click", () => {
      closePopups();
      $(item.dataset.attach === "photo" ? "#photo-input" : "#file-input").click();
    });
  }
  $("#photo-input").addEventListener("change", (event) => {
    upload("photo", event.target.files[0]);
    event.target.value = "";
  });
  $("#file-input").addEventListener("change", (event) => {
    upload("document", event.target.files[0]);
    event.target.value = "";
  });
  $("#kb-toggle").addEventListener("click", () => {
    state.keyboardOpen = !state.keyboardOpen;
    $("#reply-keyboard").hidden = !state.keyboardOpen;
    $("#kb-toggle").textContent = state.keyboardOpen ? "⌄" : "⌨️";
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".popup")) closePopups();
  });
  $("#back").addEventListener("click", () => {
    $("#app").classList.add("show-list");
    repoll();
  });
  $("#clock-chip").addEventListener("click", () => {
    $("#app").classList.add("show-list");
    repoll();
    $(".timebox").scrollIntoView({ behavior: "smooth" });
  });
  for (const button of document.querySelectorAll("[data-time]")) {
    button.addEventListener("click", async () => {
      const all = document.querySelectorAll("[data-time]");
      all.forEach((b) => { b.disabled = true; });
      const result = await post("/api/time", { step: button.dataset.time });
      all.forEach((b) => { b.disabled = false; });
      if (result) {
        renderClock(result.clock);
        const failed = result.jobs.filter((job) => !job.ok).map((job) => job.name);
        const ran = result.jobs.length === 1 ? "1 scheduled job" : `${result.jobs.length} scheduled jobs`;
        toast(`Now ${result.clock.label}.\nRan ${ran}${failed.length ? ` (failed: ${failed.join(", ")})` : ""}.`, 4000);
        repoll();
      }
    });
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", async () => {
      const result = await post("/api/language", { language: button.dataset.lang });
      if (result) { renderLanguage(result.language); repoll(); }
    });
  }
  // Links and /commands inside messages.
  $("#messages").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-link]");
    if (link) {
      event.preventDefault();
      openLink(link.dataset.link);
      return;
    }
    const command = event.target.closest("[data-command]");
    if (command) {
      sendText(command.dataset.command);
      return;
    }
    const spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.add("shown");
    const code = event.target.closest("code");
    if (code && navigator.clipboard) navigator.clipboard.writeText(code.textContent).then(() => toast("Copied to the clipboard"), () => {});
  });
}

async function init() {
  wire();
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang");
  if (lang === "id" || lang === "en") await post("/api/language", { language: lang });
  let stored = null;
  try { stored = localStorage.getItem("tukulokal-sandbox-persona"); } catch { /* private mode */ }
  const wanted = decodeURIComponent(location.hash.slice(1)) || stored;
  const wide = !window.matchMedia("(max-width: 760px)").matches;
  const first = await fetch("/api/poll?chat=&v=&wait=0", { cache: "no-store" }).then((r) => r.json()).catch(() => null);
  if (first) apply(first);
  const keys = state.personas.map((p) => p.key);
  if (wanted && keys.includes(wanted) && (wide || location.hash)) choose(wanted);
  else if (wide && keys.length) choose(keys[0]);
  pollLoop();
}

document.addEventListener("DOMContentLoaded", init);
