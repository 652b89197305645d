// Meeting mode: one step a page (an agenda item, or the agreements), each at its own
// address. On an item's step: its fragment(s) in the clip player (a pair with one
// play/pause) and the notes saved as they are typed; attendance saved as it is ticked; and
// keys, among them [ and ] to the previous and next step, after saving what waits. Without
// this script the steps are links and every form saves with its button.

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
 *  shows what is saved now, and the button saves over it once the person has merged.
 *  Returns ``pending()`` (a save waits or runs) and ``flush()`` (a promise: saved now). */
function autosave(form, messages, onSaved) {
  const status = form.querySelector("[data-save-status]");
  const version = form.querySelector("[name$='version']");
  const staleBox = form.querySelector("[data-stale-saved]");
  const notes = form.hasAttribute("data-notes");
  let timer = null;
  let busy = false;
  let again = false;
  let inflight = Promise.resolve();
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

  function save() {
    clearTimeout(timer);
    timer = null;
    if (busy) { again = true; return inflight; }
    inflight = send();
    return inflight;
  }

  async function send() {
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
        onSaved?.(body);
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
      if (again && !paused) await save();
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
  return {
    pending: () => timer !== null || busy,
    flush: () => (timer !== null ? save() : inflight),
  };
}

/** Before another form of the step is sent (the plan's adopt button, an agreement, a
 *  review: another page loads), what still waits to be saved is saved first; at most
 *  ``wait`` ms, and should that fail the browser still keeps the notes (``drafts``) and
 *  saves them when their step is back. */
function saveNotesFirst(form, savers, wait = 5000) {
  let through = false;
  form.addEventListener("submit", (event) => {
    if (through || !savers.some((s) => s.pending())) return;
    event.preventDefault();
    event.stopPropagation(); // not yet "submitted" for the double-submit guard (app.js)
    const submitter = event.submitter;
    const timeout = new Promise((resolve) => { setTimeout(resolve, wait); });
    Promise.race([Promise.allSettled(savers.map((s) => s.flush())), timeout]).then(() => {
      through = true;
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    });
  });
}

/** The item's "Adopt into the plan" button follows its saved notes: shown, for those notes,
 *  once they name a need; hidden while they do not. */
function followAdopt(form, body) {
  const adopt = form.closest("[data-mode-item]")?.querySelector("form[data-adopt='need']");
  if (!adopt || body.notes_id === undefined) return;
  const need = (body.need || "").trim();
  adopt.querySelector("[name=source_id]").value = body.notes_id;
  const what = adopt.querySelector("[data-adopt-what]");
  if (what) what.textContent = `: ${need.length > 40 ? `${need.slice(0, 37)}...` : need}`;
  adopt.hidden = !need;
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

/** Go to ``href`` (another step), the notes still waiting saved first: at most ``wait``
 *  ms, and should that fail the browser keeps them (``drafts``) and saves them when the
 *  step is opened again. */
function leave(href, savers, wait = 5000) {
  if (!href) return;
  const timeout = new Promise((resolve) => { setTimeout(resolve, wait); });
  Promise.race([Promise.allSettled(savers.map((s) => s.flush())), timeout]).then(() => {
    location.assign(href);
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

  // The step's item, if it is an item's step.
  const section = page.querySelector("[data-mode-item]");
  const players = section
    ? [...section.querySelectorAll("[data-player]")]
      .map((root) => setUpPlayer(root, { scope: section, keys: "none" }))
    : [];
  const group = section ? linkPlayers(players, section.querySelector("[data-item-toggle]")) : null;

  const savers = [];
  for (const form of page.querySelectorAll("form[data-autosave]")) {
    savers.push(autosave(form, messages, (body) => followAdopt(form, body)));
    followCitation(form);
  }
  for (const form of page.querySelectorAll("form:not([data-autosave])")) {
    saveNotesFirst(form, savers);
  }

  // To another step: by its link or a key, what waits to be saved first.
  const stepLinks = ".mode-agenda a[href], [data-next-item]";
  page.addEventListener("click", (event) => {
    const link = event.target.closest(stepLinks);
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    if (!savers.some((s) => s.pending())) return;
    event.preventDefault();
    group?.pause();
    leave(link.href, savers);
  });
  const step = (rel) => {
    const link = page.querySelector(`.mode-agenda a[rel=${rel}]`);
    if (!link) return;
    group?.pause();
    leave(link.href, savers);
  };

  function goTo(element) {
    if (!element) return;
    if (element.tabIndex < 0 && !element.hasAttribute("tabindex")) element.tabIndex = -1;
    element.scrollIntoView({ block: "center" });
    element.focus({ preventScroll: true });
  }

  // n: this item's notes; a: the new agreement (the list, for whoever only reads it), on
  // this step or on the agreements' step.
  const notesField = () => goTo(section?.querySelector("textarea[name$='-seen']"));
  function agreementField() {
    const here = page.querySelector("#agreement-text") ?? page.querySelector("[data-agreements]");
    if (here) { goTo(here); return; }
    const link = page.querySelector("[data-step-agreements]");
    if (link) leave(`${link.href}#${link.dataset.stepAgreements}`, savers);
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && typing(event.target)) {
      const around = event.target.closest("[data-mode-item], #agreements, #review");
      (around ?? section)?.focus();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const action = {
      k: () => group?.toggle(),
      "]": () => step("next"),
      PageDown: () => step("next"),
      "[": () => step("prev"),
      PageUp: () => step("prev"),
      n: notesField,
      a: agreementField,
    }[event.key];
    if (action) {
      event.preventDefault();
      action();
      return;
    }
    if (event.key === "j" || event.key === "l") {
      for (const player of players) player.key(event);
    }
  });

  // A form shown again with a refusal: its field; else the place the address names (back
  // from a form: the attendance, the agreements, a review; the key a: the agreement's text).
  const problem = page.querySelector(".form-errors, [aria-invalid='true']");
  const hash = decodeURIComponent(location.hash.slice(1));
  if (problem) {
    const form = problem.closest("form")
      ?? (problem.nextElementSibling?.matches("form") ? problem.nextElementSibling : null);
    goTo(form?.querySelector("[aria-invalid='true']")
      ?? form?.querySelector("textarea, select, input:not([type=hidden])") ?? problem);
  } else if (hash) {
    goTo(document.getElementById(hash));
  }
}
