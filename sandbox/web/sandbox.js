// TukuLokal sandbox: the chat page. Plain JavaScript, no dependencies, nothing from outside.
// Its words are in texts.js (TEXTS), in the page's language: the "Telegram app language".
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
  language: document.documentElement.lang === "en" ? "en" : "id", // the server's, at load
  clock: null,
  clockAt: 0, // Date.now() / 1000 when the clock was read
  chat: null,
  textsApplied: false,
  infoOpen: false, // the persona banner shows everything (on a phone it folds)
  formatPinned: false, // the format bar stays open (the Aa button)
  nodes: new Map(), // message id -> {sig, el}
  keyboardSig: "",
  keyboardOpen: true,
  controller: null,
  busy: 0,
  stick: true, // the chat is scrolled to its newest message: keep it there
};

// ------------------------------------------------------------------ the page's language

function t(key, params = {}) {
  const table = TEXTS[state.language] || TEXTS.id;
  const text = key in table ? table[key] : (key in TEXTS.en ? TEXTS.en[key] : key);
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A count: "key.one" for 1, "key.other" otherwise, with {n}.
function tn(key, n, params = {}) {
  return t(`${key}.${n === 1 ? "one" : "other"}`, { n, ...params });
}

function known(key) {
  return key in (TEXTS[state.language] || TEXTS.id);
}

function locale() {
  return state.language === "en" ? "en-GB" : "id-ID";
}

// Every text of index.html: data-t (the text), data-t-title, data-t-aria-label.
function applyTexts() {
  document.documentElement.lang = state.language;
  document.title = t("page.title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-title]")) node.title = t(node.dataset.tTitle);
  for (const node of document.querySelectorAll("[data-t-aria-label]")) {
    node.setAttribute("aria-label", t(node.dataset.tAriaLabel));
  }
}

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

function dateParts(seconds, options) {
  const format = new Intl.DateTimeFormat(locale(), { timeZone: state.timezone, ...options });
  return Object.fromEntries(format.formatToParts(new Date(seconds * 1000)).map((p) => [p.type, p.value]));
}

// 09:00, as Telegram's apps write it in both languages.
function timeLabel(seconds) {
  const parts = dateParts(seconds, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return `${parts.hour}:${parts.minute}`;
}

function dayLabel(seconds) {
  return new Intl.DateTimeFormat(locale(), {
    timeZone: state.timezone, weekday: "long", day: "numeric", month: "long", year: "numeric",
  }).format(new Date(seconds * 1000));
}

// "Jum 11 Des 2026, 09:00 WIB" / "Fri 11 Dec 2026, 09:00 WIB".
function clockLabel(seconds, { year = true } = {}) {
  const parts = dateParts(seconds, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
  const day = [parts.weekday, parts.day, parts.month, year ? parts.year : ""].filter(Boolean).join(" ");
  const zone = state.clock && state.clock.zone ? ` ${state.clock.zone}` : "";
  return `${day}, ${timeLabel(seconds)}${zone}`;
}

// The sandbox's "now", as the bot sees it (the clock runs between two polls).
function sandboxNow() {
  if (!state.clock) return Date.now() / 1000;
  return state.clock.now + (Date.now() / 1000 - state.clockAt);
}

let toastTimer = null;
function toast(text, ms = 2600) {
  const box = $("#toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}

// A message (true: OK), a question (confirm: true or false), or a small form (fields: the
// values by name, or null if cancelled; validate(values) returns what is wrong, or nothing).
function modal(text, { confirm = false, ok = null, fields = null, validate = null } = {}) {
  return new Promise((resolve) => {
    const box = $("#modal");
    const form = $("#modal-form");
    $("#modal-text").textContent = text;
    $("#modal-ok").textContent = ok || t("modal.ok");
    $("#modal-cancel").textContent = t("modal.cancel");
    $("#modal-cancel").hidden = !confirm && !fields;
    const inputs = (fields || []).map((field) => {
      const input = el("input", {
        type: "text", inputmode: field.inputmode, name: field.name, value: field.value || "",
        autocomplete: "off", spellcheck: "false", "data-field": field.name,
      });
      return { field, input, row: el("label", { class: "modal-field" }, el("span", { text: field.label }), input) };
    });
    const problem = el("div", { class: "modal-error", role: "alert", hidden: true });
    $("#modal-fields").replaceChildren(...inputs.map((i) => i.row), ...(fields ? [problem] : []));
    box.hidden = false;
    const done = (value) => {
      box.hidden = true;
      form.onsubmit = null;
      form.onkeydown = null;
      $("#modal-cancel").onclick = null;
      resolve(value);
    };
    form.onsubmit = (event) => {
      event.preventDefault();
      if (!fields) { done(true); return; }
      const values = Object.fromEntries(inputs.map(({ field, input }) => [field.name, input.value]));
      const wrong = validate && validate(values);
      if (wrong) {
        problem.textContent = wrong;
        problem.hidden = false;
        return;
      }
      done(values);
    };
    form.onkeydown = (event) => { if (event.key === "Escape") done(fields ? null : false); };
    $("#modal-cancel").onclick = () => done(fields ? null : false);
    if (inputs.length) {
      const first = inputs.find((i) => !i.input.value) || inputs[inputs.length - 1];
      first.input.focus();
      first.input.setSelectionRange(first.input.value.length, first.input.value.length);
    } else {
      $("#modal-ok").focus();
    }
  });
}

// What the page says when the server refuses: its code in the page's words, else its text.
async function refusalText(response) {
  const body = await response.text();
  let data = null;
  try { data = JSON.parse(body); } catch { /* not JSON: a proxy's or aiohttp's own page */ }
  if (data && data.error && known(`error.${data.error}`)) return t(`error.${data.error}`, data.params || {});
  if (data && data.message) return data.message;
  return body && body.length < 300 ? body : t("error.status", { status: response.status });
}

async function post(path, body) {
  state.busy += 1;
  document.body.classList.add("busy");
  try {
    const response = await fetch(path, {
      method: "POST", headers: ACTION_HEADERS, body: JSON.stringify(body || {}),
    });
    if (!response.ok) {
      toast(await refusalText(response), 4000);
      return null;
    }
    return await response.json();
  } catch (error) {
    toast(t("error.notAnswering"));
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
    case "spoiler": return el("span", { class: "spoiler", title: t("message.spoiler") });
    case "code": return el("code", { title: t("message.copy") });
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
  const go = await modal(t("message.openLink", { url }), { confirm: true, ok: t("message.open") });
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
  if (message.forwarded) bubble.append(el("div", { class: "doc-size", text: t("message.forwarded") }));
  if (message.photo) {
    const img = el("img", {
      class: "photo", src: message.photo.url, alt: t("message.photo"), loading: "lazy",
      width: message.photo.width || undefined, height: message.photo.height || undefined,
    });
    img.addEventListener("click", () => window.open(message.photo.url, "_blank", "noopener"));
    img.addEventListener("load", () => { if (state.stick) toBottom(); });
    bubble.append(img);
  }
  if (message.document) {
    const doc = message.document;
    bubble.append(el("a", { class: "document", href: doc.url, download: doc.name, title: t("message.download") },
      el("span", { class: "doc-icon", "aria-hidden": "true", text: "⬇" }),
      el("span", {}, el("div", { class: "doc-name", text: doc.name }),
        el("div", { class: "doc-size", text: sizeLabel(doc.size) }))));
  }
  if (message.contact) {
    bubble.append(el("div", { class: "contact" },
      el("span", { class: "avatar", "aria-hidden": "true", text: "📱" }),
      el("span", {}, el("div", { class: "doc-name", text: message.contact.name || t("message.contact") }),
        el("div", { class: "doc-size", text: message.contact.phone || "" }))));
  }
  if (message.text) {
    const text = el("div", { class: "text" });
    text.append(renderText(message.text, message.entities));
    bubble.append(text);
  }
  const meta = el("span", { class: "meta" });
  if (message.edited) meta.append(el("span", { class: "edited", text: t("message.edited") }));
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
      try { await navigator.clipboard.writeText(button.copy); toast(t("message.copied")); }
      catch { await modal(button.copy); }
    } else {
      toast(t("message.buttonDoesNothing"));
    }
  });
  return node;
}

// Telegram's "What can this bot do?": the bot's description if it set one, else the page's.
function emptyChat(persona, description) {
  return el("div", { class: "empty" },
    el("h2", { text: t("chat.emptyTitle") }),
    el("div", { class: "empty-about", text: description || t("chat.emptyAbout") }),
    el("div", { class: "empty-hint", text: persona ? personaText(persona, "hint") : "" }));
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
  if (!chat.messages.length) nodes.push(emptyChat(persona, chat.description));
  box.replaceChildren(...nodes);

  const empty = chat.messages.length === 0;
  $("#start-bar").hidden = !empty;
  $("#input-row").hidden = empty;
  renderKeyboard(empty ? null : chat.keyboard);
  renderCommands(chat.commands || []);
  const placeholder = chat.force_reply || (chat.keyboard && chat.keyboard.placeholder) || t("composer.message");
  $("#text").dataset.placeholder = placeholder;
  $("#text").setAttribute("aria-placeholder", placeholder);
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
    toast(t("keyboard.keyDoesNothing"));
    return;
  }
  if (key.contact) {
    const persona = state.personas.find((p) => p.key === state.current);
    const question = persona && persona.phone ? "keyboard.shareContact" : "keyboard.shareOwn";
    const ok = await modal(t(question, { phone: persona && persona.phone, bot: state.bot.name }),
      { confirm: true, ok: t("keyboard.share") });
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

// A persona's role, about or hint in the page's language; the server's words for a persona
// the page does not know. "about" of an ASN is their roster line (names, OPD, golongan).
function personaText(p, field) {
  const key = `persona.${p.key}.${field}`;
  if (!known(key)) return p[field] || "";
  return t(key, { shop: p.shop || "", phone: p.phone || "", name: p.name });
}

function lastLine(p) {
  const kinds = { photo: "side.lastPhoto", document: "side.lastDocument", contact: "side.lastContact" };
  return p.last || (kinds[p.last_kind] ? t(kinds[p.last_kind]) : "");
}

function renderPersonas(personas) {
  state.personas = personas;
  const list = $("#personas");
  list.replaceChildren(...personas.map((p) => {
    const last = lastLine(p);
    const node = el("button", {
      type: "button", class: `persona${p.key === state.current ? " active" : ""}`,
      "data-persona": p.key, "aria-current": p.key === state.current ? "true" : undefined,
    },
    el("span", { class: "avatar", style: `background:${colorFor(p.key)}`, "aria-hidden": "true", text: initials(p.name) }),
    el("span", { class: "p-body" },
      el("div", { class: "p-name", text: p.name }),
      el("div", { class: "p-role", text: personaText(p, "role") }),
      last ? el("div", { class: "p-last", text: last }) : null),
    p.unread ? el("span", { class: "badge", "aria-label": t("side.unread", { n: p.unread }), text: String(p.unread) }) : null);
    node.addEventListener("click", () => choose(p.key));
    return node;
  }));
  const others = personas.filter((p) => p.key !== state.current).reduce((sum, p) => sum + p.unread, 0);
  $("#back-badge").hidden = others === 0;
  $("#back-badge").textContent = String(others);
  const me = personas.find((p) => p.key === state.current);
  if (me) {
    const role = personaText(me, "role");
    $("#whoami").replaceChildren(t("chat.you"), el("b", { text: me.name }));
    renderBanner(me, role);
  }
}

// Who you are, under the chat's header. On a phone it shows the name and role, wrapped, and
// folds the rest behind "More" (nothing is cut mid-line); on a wide screen all of it.
function renderBanner(me, role) {
  const info = $("#persona-info");
  const about = personaText(me, "about");
  const hint = personaText(me, "hint");
  const toggle = el("button", {
    type: "button", class: "pi-toggle", "aria-expanded": state.infoOpen ? "true" : "false",
    "aria-controls": "persona-more", text: t(state.infoOpen ? "chat.less" : "chat.more"),
  });
  toggle.addEventListener("click", () => {
    state.infoOpen = !state.infoOpen;
    renderBanner(me, role);
  });
  info.classList.toggle("open", state.infoOpen);
  info.replaceChildren(
    el("span", { class: "pi-who" }, el("b", { text: t("chat.youAre", { name: me.name }) }),
      el("span", { class: "pi-role", text: ` · ${role}` })),
    el("span", { id: "persona-more", class: "pi-more" },
      el("span", { class: "pi-dash", text: " — " }), about ? `${about}. ${hint}` : hint),
    " ", toggle);
}

function renderClock(clock) {
  if (clock) {
    state.clock = clock;
    state.clockAt = Date.now() / 1000;
  }
  if (!state.clock) return;
  const now = sandboxNow();
  $("#clock-label").textContent = clockLabel(now);
  $("#clock-chip-label").textContent = clockLabel(now, { year: false });
}

function renderLanguage(language) {
  const changed = language !== state.language || !state.textsApplied;
  state.language = language === "en" ? "en" : "id";
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.classList.toggle("on", button.dataset.lang === state.language);
    button.setAttribute("aria-pressed", button.dataset.lang === state.language ? "true" : "false");
  }
  if (!changed) return;
  state.textsApplied = true;
  applyTexts();
  // What is already drawn in the other language: day labels, "edited", the persona panel.
  state.nodes.clear();
  if (state.personas.length) renderPersonas(state.personas);
  renderClock();
  if (state.chat && state.chat.persona === state.current) renderChat(state.chat);
  updateFormatBar();
}

function apply(data) {
  state.version = data.version;
  state.bot = data.bot || state.bot;
  state.timezone = data.timezone || state.timezone;
  renderLanguage(data.language);
  renderPersonas(data.personas);
  renderClock(data.clock);
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
    clearComposer();
    history.replaceState(null, "", `#${key}`);
    try { localStorage.setItem("tukulokal-sandbox-persona", key); } catch { /* private mode */ }
  }
  $("#app").classList.remove("show-list");
  closePopups();
  repoll();
  $("#text").focus({ preventScroll: true });
}

// ------------------------------------------------------------------ the composer
//
// A rich text field, as in Telegram's apps: Ctrl+B, Ctrl+I, Ctrl+U, Ctrl+Shift+X (strike),
// Ctrl+Shift+M (monospace), Ctrl+K (link), Ctrl+Shift+N (plain again), or the format bar
// (shown on a selection, or pinned by "Aa"). What is sent is what a Telegram client sends:
// the plain text and its entities, offsets and lengths in UTF-16 code units (JavaScript's).

const editor = () => $("#text");
const FORMAT_TAGS = {
  B: "bold", STRONG: "bold", I: "italic", EM: "italic", U: "underline", INS: "underline",
  S: "strikethrough", STRIKE: "strikethrough", DEL: "strikethrough", CODE: "code",
};
const BLOCK = /^(DIV|P|LI|BLOCKQUOTE|H[1-6])$/;

function formatsOf(node) {
  const found = [];
  const type = FORMAT_TAGS[node.tagName];
  if (type) found.push({ type });
  if (node.tagName === "A" && node.getAttribute("href")) found.push({ type: "text_link", url: node.getAttribute("href") });
  const style = node.style;  // what a browser may write instead of tags
  if (style && style.length) {
    if (/^(bold|bolder|[6-9]00)$/.test(style.fontWeight)) found.push({ type: "bold" });
    if (style.fontStyle === "italic") found.push({ type: "italic" });
    const line = `${style.textDecorationLine || ""} ${style.textDecoration || ""}`;
    if (line.includes("underline")) found.push({ type: "underline" });
    if (line.includes("line-through")) found.push({ type: "strikethrough" });
  }
  return found;
}

// The field's content as Telegram text: {text, entities}.
function composed() {
  let text = "";
  const entities = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        text += child.nodeValue.replace(/\u00a0/g, " ");
        continue;
      }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      if (child.tagName === "BR") { text += "\n"; continue; }
      const block = BLOCK.test(child.tagName);
      if (block && text && !text.endsWith("\n")) text += "\n";
      const start = text.length;
      walk(child);
      const length = text.length - start;
      if (length > 0) for (const format of formatsOf(child)) entities.push({ ...format, offset: start, length });
      if (block && child.nextSibling && !text.endsWith("\n")) text += "\n";
    }
  };
  walk(editor());
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

function clearComposer() {
  editor().replaceChildren();
  updateEmpty();
  updateFormatBar();
}

function updateEmpty() {
  const box = editor();
  const empty = box.textContent === "";
  if (empty && box.childNodes.length) box.replaceChildren(); // a <br> the browser leaves
  box.classList.toggle("is-empty", empty);
}

function selectionInEditor() {
  const selection = window.getSelection();
  if (!selection || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  return editor().contains(range.commonAncestorContainer) ? range : null;
}

function caretAtEnd() {
  const range = document.createRange();
  range.selectNodeContents(editor());
  range.collapse(false);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return range;
}

function enclosing(node, tag) {
  for (let at = node; at && at !== editor(); at = at.parentNode) {
    if (at.nodeType === Node.ELEMENT_NODE && at.tagName === tag) return at;
  }
  return null;
}

// The code or link whose very end the caret is at (the outermost one), if any.
function endOf(range) {
  const start = range.startContainer;
  const length = start.nodeType === Node.TEXT_NODE ? start.length : start.childNodes.length;
  if (!range.collapsed || range.startOffset !== length) return null;
  let found = null;
  for (let at = start; at && at !== editor(); at = at.parentNode) {
    if (at.nodeType === Node.ELEMENT_NODE && (at.tagName === "CODE" || at.tagName === "A")) found = at;
    if (at.parentNode && at.parentNode !== editor() && at.parentNode.lastChild !== at) break;
  }
  return found;
}

function unwrap(node) {
  node.replaceWith(...node.childNodes);
}

function select(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

function toggleCode(range) {
  const inside = enclosing(range.commonAncestorContainer, "CODE");
  if (inside) { unwrap(inside); return; }
  if (range.collapsed) return; // monospace needs a selection
  const code = document.createElement("code");
  code.textContent = range.toString();
  range.deleteContents();
  range.insertNode(code);
  select(code);
}

function webAddress(value) {
  const raw = value.trim();
  if (!raw) return "";
  if (/[\s<>"]/.test(raw)) return null; // Telegram refuses them in a link
  const full = /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `https://${raw}`;
  try {
    const url = new URL(full);
    if (!["http:", "https:", "tg:", "mailto:"].includes(url.protocol)) return null;
    if ((url.protocol === "http:" || url.protocol === "https:") && !url.hostname.includes(".")) return null;
    return full;
  } catch {
    return null;
  }
}

async function editLink(range) {
  const existing = enclosing(range.commonAncestorContainer, "A");
  const selected = range.toString();
  const fields = [];
  if (!existing && !selected.trim()) fields.push({ name: "text", label: t("link.text") });
  fields.push({ name: "url", label: t("link.url"), inputmode: "url", value: existing ? existing.getAttribute("href") : "https://" });
  const saved = range.cloneRange();
  const values = await modal(t(existing ? "link.edit" : "link.add"), {
    fields,
    validate: (v) => {
      if (existing && !v.url.trim()) return null; // removes the link
      return webAddress(v.url) ? null : t("link.bad");
    },
  });
  const box = editor();
  box.focus({ preventScroll: true });
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(saved);
  if (!values) return;
  const url = webAddress(values.url);
  if (existing) {
    if (url) existing.setAttribute("href", url);
    else unwrap(existing);
    return;
  }
  if (selected.trim()) {
    document.execCommand("createLink", false, url);
    return;
  }
  const link = el("a", { href: url, text: (values.text || "").trim() || url });
  saved.insertNode(link);
  const after = document.createRange();
  after.setStartAfter(link);
  after.collapse(true);
  selection.removeAllRanges();
  selection.addRange(after);
}

async function applyFormat(kind) {
  const box = editor();
  box.focus({ preventScroll: true });
  const range = selectionInEditor() || caretAtEnd();
  const commands = { bold: "bold", italic: "italic", underline: "underline", strikethrough: "strikeThrough" };
  if (commands[kind]) {
    document.execCommand(commands[kind]);
  } else if (kind === "code") {
    toggleCode(range);
  } else if (kind === "link") {
    await editLink(range);
  } else if (kind === "clear") {
    document.execCommand("removeFormat");
    document.execCommand("unlink");
    for (const code of [...box.querySelectorAll("code")]) if (range.intersectsNode(code)) unwrap(code);
  }
  updateEmpty();
  updateFormatBar();
}

const SHORTCUTS = {
  plain: { KeyB: "bold", KeyI: "italic", KeyU: "underline", KeyK: "link" },
  shift: { KeyX: "strikethrough", KeyM: "code", KeyN: "clear" },
};

function shortcut(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  const table = event.shiftKey ? SHORTCUTS.shift : SHORTCUTS.plain;
  const code = event.code || `Key${(event.key || "").toUpperCase()}`;
  return table[code] || null;
}

function updateFormatBar() {
  const bar = $("#format-bar");
  const range = selectionInEditor();
  const selecting = range && !range.collapsed && document.activeElement === editor();
  bar.hidden = !(state.formatPinned || selecting) || $("#input-row").hidden;
  $("#format-btn").classList.toggle("on", state.formatPinned);
  $("#format-btn").setAttribute("aria-pressed", state.formatPinned ? "true" : "false");
  if (bar.hidden) return;
  // What the selection is in (as composed() will send it), and the browser's pending style.
  const around = new Set();
  for (let at = range && range.startContainer; at && at !== editor(); at = at.parentNode) {
    if (at.nodeType === Node.ELEMENT_NODE) for (const format of formatsOf(at)) around.add(format.type);
  }
  const pending = { bold: "bold", italic: "italic", underline: "underline", strikethrough: "strikeThrough" };
  for (const button of bar.querySelectorAll("[data-format]")) {
    const kind = button.dataset.format;
    const type = kind === "link" ? "text_link" : kind;
    let on = around.has(type);
    if (!on && range && range.collapsed && pending[kind] && !around.has("text_link")) {
      on = document.queryCommandState(pending[kind]);
    }
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }
}

async function sendComposed() {
  if (!state.current) return;
  const { text, entities } = composed();
  if (!text.trim()) return;
  const kept = [...editor().childNodes];
  clearComposer();
  const body = entities.length ? { text, entities } : { text: text.trim() };
  const result = await post(`/api/chat/${state.current}/send`, body);
  if (!result && editor().textContent === "") { // refused: give the text back
    editor().replaceChildren(...kept);
    updateEmpty();
  }
}

// ------------------------------------------------------------------ controls

function closePopups() {
  $("#commands").hidden = true;
  $("#attach-menu").hidden = true;
}

async function upload(kind, file) {
  if (!file || !state.current) return;
  const form = new FormData();
  form.append("kind", kind);
  form.append("file", file, file.name);
  const { text, entities } = composed(); // the caption, formatted as typed
  if (text.trim()) {
    form.append("caption", entities.length ? text : text.trim());
    if (entities.length) form.append("caption_entities", JSON.stringify(entities));
  }
  clearComposer();
  state.busy += 1;
  try {
    const response = await fetch(`/api/chat/${state.current}/upload`, {
      method: "POST", body: form, headers: { "X-TukuLokal-Sandbox": "1" },
    });
    if (!response.ok) toast(await refusalText(response), 4000);
  } catch {
    toast(t("error.notAnswering"));
  } finally {
    state.busy -= 1;
  }
}

function wireComposer() {
  const box = editor();
  box.addEventListener("keydown", (event) => {
    const format = shortcut(event);
    if (format) {
      event.preventDefault();
      applyFormat(format);
      return;
    }
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      if (event.shiftKey) document.execCommand("insertLineBreak");
      else $("#send").click();
    }
  });
  box.addEventListener("input", () => { updateEmpty(); updateFormatBar(); });
  // Typing right after a link or monospace goes on in plain text, as in Telegram (bold and
  // italics go on, and Ctrl+B / Ctrl+I stop them).
  box.addEventListener("beforeinput", (event) => {
    if (event.inputType !== "insertText" || !event.data) return;
    const range = selectionInEditor();
    const edge = range && endOf(range);
    if (!edge) return;
    event.preventDefault();
    const typed = document.createTextNode(event.data);
    edge.after(typed);
    const caret = document.createRange();
    caret.setStart(typed, typed.length);
    caret.collapse(true);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(caret);
    updateEmpty();
    updateFormatBar();
  });
  // Pasted or dropped text comes in plain, as into Telegram from another program.
  box.addEventListener("paste", (event) => {
    event.preventDefault();
    document.execCommand("insertText", false, event.clipboardData.getData("text/plain"));
  });
  box.addEventListener("drop", (event) => {
    event.preventDefault();
    const text = event.dataTransfer && event.dataTransfer.getData("text/plain");
    if (text) document.execCommand("insertText", false, text);
  });
  document.addEventListener("selectionchange", updateFormatBar);
  box.addEventListener("blur", () => setTimeout(updateFormatBar, 0));
  document.execCommand("styleWithCSS", false, false); // <b>, <i>: tags, not styles
  for (const button of document.querySelectorAll("[data-format]")) {
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", () => applyFormat(button.dataset.format));
  }
  $("#format-btn").addEventListener("mousedown", (event) => event.preventDefault());
  $("#format-btn").addEventListener("click", () => {
    state.formatPinned = !state.formatPinned;
    editor().focus({ preventScroll: true });
    updateFormatBar();
  });
  $("#send").addEventListener("click", async () => {
    await sendComposed();
    editor().focus({ preventScroll: true });
  });
}

function wire() {
  const box = $("#messages");
  box.addEventListener("scroll", () => {
    state.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  });
  // The keyboard opening, a rotated phone: stay at the newest message.
  new ResizeObserver(() => { if (state.stick) box.scrollTop = box.scrollHeight; }).observe(box);
  wireComposer();
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
        toast(t("time.moved", {
          label: clockLabel(result.clock.now),
          jobs: tn("time.jobs", result.jobs.length),
          failed: failed.length ? t("time.failed", { names: failed.join(", ") }) : "",
        }), 4000);
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
    if (code && navigator.clipboard) navigator.clipboard.writeText(code.textContent).then(() => toast(t("message.copied")), () => {});
  });
  setInterval(renderClock, 10_000); // the sandbox's clock runs between two polls
}

async function init() {
  renderLanguage(state.language); // the page's words before anything else shows
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
