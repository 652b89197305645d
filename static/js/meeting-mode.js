// Meeting mode: one agenda item at a time, its fragment(s) in the clip player (a pair with
// one play/pause), the notes saved as they are typed, attendance saved as it is ticked,
// and keys. Without this script the page shows every item and saves with its buttons.

import { linkPlayers, setUpPlayer } from "./player.js";

const SAVE_AFTER = 800; // ms after the last key press
const page = document.querySelector("[data-meeting-mode]");

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || target.closest("input, textarea, select") !== null);
}

/** Keep a form's text in this browser until the server has it, so a lost connection or an
 *  ended session never loses it; restored when the page is opened again. */
const drafts = {
  key: (form) => `beeldbrug-draft:${form.action}`,
  fields: (form) => [...form.querySelectorAll("textarea, select")],
  keep(form) {
    const values = Object.fromEntries(this.fields(form).map((f) => [f.name, f.value]));
    try { localStorage.setItem(this.key(form), JSON.stringify(values)); } catch { /* full */ }
  },
  drop(form) {
    try { localStorage.removeItem(this.key(form)); } catch { /* unavailable */ }
  },
  restore(form) {
    let values = null;
    try { values = JSON.parse(localStorage.getItem(this.key(form)) || "null"); } catch { /* bad */ }
    if (!values) return false;
    let changed = false;
    for (const field of this.fields(form)) {
      if (field.name in values && field.value !== values[field.name]) {
        field.value = values[field.name];
        changed = true;
      }
    }
    if (!changed) this.drop(form);
    return changed;
  },
};

/** Save ``form`` by fetch a moment after typing stops (and on its button); one save at a
 *  time. A 409 (someone else saved first) stops the autosave of this form, keeps the text,
 *  shows what is saved now, and the button saves over it once the person has merged. */
function autosave(form, messages, onSaved) {
  const status = form.querySelector("[data-save-status]");
  const version = form.querySelector("[name$='version']");
  const staleBox = form.querySelector("[data-stale-saved]");
  const notes = form.hasAttribute("data-notes");
  let timer = null;
  let busy = false;
  let again = false;
  let paused = staleBox ? !staleBox.hidden : false;

  const say = (text, alert = false) => {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("save-status-alert", alert);
    status.setAttribute("role", alert ? "alert" : "status");
  };

  function showSaved(body) {
    if (!staleBox) return;
    staleBox.replaceChildren();
    const head = document.createElement("p");
    head.textContent = messages.now;
    staleBox.append(head);
    for (const name of ["seen", "need"]) {
      const label = form.querySelector(`[name$='-${name}']`)?.labels?.[0]?.textContent ?? name;
      const line = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = `${label.trim()} `;
      line.append(strong, body[name] ?? "");
      staleBox.append(line);
    }
    staleBox.hidden = false;
  }

  async function save() {
    clearTimeout(timer);
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    again = false;
    say(messages.saving);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const json = (response.headers.get("Content-Type") || "").includes("application/json");
      const body = json ? await response.json() : {};
      if (response.ok && json) {
        if (version && body.version !== undefined) version.value = body.version;
        drafts.drop(form);
        say(body.message || "");
        onSaved?.();
      } else if (response.status === 409 && json) {
        paused = true;
        if (version) version.value = body.version;
        say(body.message, true);
        showSaved(body);
      } else if (json) {
        say(body.message, true);
      } else {
        say(messages.expired, true);
      }
    } catch {
      say(messages.failed, true);
    } finally {
      busy = false;
      if (again && !paused) save();
    }
  }

  function changed() {
    if (notes) drafts.keep(form);
    if (paused) return;
    say(messages.unsaved);
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_AFTER);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", (event) => { if (event.target.type === "checkbox") changed(); });
  form.addEventListener("submit", (event) => {
    // Saved here, by fetch: the page-wide guard against double submits (app.js) would
    // disable the button for good.
    event.preventDefault();
    event.stopPropagation();
    paused = false;
    if (staleBox) staleBox.hidden = true;
    save();
  });
  // Before the laptop sleeps or the tab goes away: send what is waiting now.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && timer) save();
  });
  window.addEventListener("online", () => { if (!paused && status?.classList.contains("save-status-alert")) save(); });
  if (notes && drafts.restore(form)) changed();
}

/** The cited moment's link follows the choice: its time, and which player it starts. */
function followCitation(form) {
  const select = form.querySelector("select[name$='-moment']");
  const cited = form.querySelector("[data-cited]");
  if (!select || !cited) return;
  const link = cited.querySelector("a");
  const time = cited.querySelector("[data-cited-time]");
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    const start = option?.dataset.start;
    cited.hidden = !start;
    if (!start) return;
    link.dataset.jump = start;
    link.dataset.forPlayer = option.dataset.citePlayer;
    time.textContent = option.textContent.split("·")[0].trim();
  });
}

if (page) {
  const messages = {
    unsaved: page.dataset.msgUnsaved,
    saving: page.dataset.msgSaving,
    failed: page.dataset.msgFailed,
    expired: page.dataset.msgExpired,
    now: page.dataset.msgNow,
  };
  for (const el of page.querySelectorAll("[data-js-only]")) el.hidden = false;

  const items = [...page.querySelectorAll("[data-mode-item]")].map((section) => {
    const players = [...section.querySelectorAll("[data-player]")]
      .map((root) => setUpPlayer(root, { scope: section, keys: "none" }));
    const group = linkPlayers(players, section.querySelector("[data-item-toggle]"));
    return { section, players, group };
  });
  const links = [...page.querySelectorAll("[data-item-link]")];
  let current = 0;

  function show(index, { focus = true } = {}) {
    if (!items.length) return;
    current = Math.min(Math.max(0, index), items.length - 1);
    items.forEach((item, i) => {
      if (i !== current) item.group.pause();
      item.section.hidden = i !== current;
    });
    links.forEach((link, i) => {
      if (i === current) link.setAttribute("aria-current", "step");
      else link.removeAttribute("aria-current");
    });
    history.replaceState(null, "", `#${items[current].section.id}`);
    if (focus) items[current].section.focus({ preventScroll: false });
  }

  const byId = (id) => items.findIndex((item) => item.section.id === id);
  page.addEventListener("click", (event) => {
    const link = event.target.closest("[data-item-link], [data-next-item]");
    if (!link) return;
    const index = byId(link.hash.slice(1));
    if (index < 0) return;
    event.preventDefault();
    show(index);
  });

  function needField() {
    const field = items[current]?.section.querySelector("textarea[name$='-need']");
    if (!field) return;
    field.scrollIntoView({ block: "center" });
    field.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && typing(event.target)) {
      items[current]?.section.focus();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const item = items[current];
    if (!item) return;
    const action = {
      k: () => item.group.toggle(),
      "]": () => show(current + 1),
      PageDown: () => show(current + 1),
      "[": () => show(current - 1),
      PageUp: () => show(current - 1),
      a: needField,
    }[event.key];
    if (action) {
      event.preventDefault();
      action();
      return;
    }
    if (event.key === "j" || event.key === "l") {
      for (const player of item.players) player.key(event);
    }
  });

  for (const form of page.querySelectorAll("form[data-autosave]")) {
    autosave(form, messages);
    followCitation(form);
  }
  const start = byId(location.hash.slice(1));
  show(start < 0 ? 0 : start, { focus: false });
}
