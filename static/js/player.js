// The clip player: moments as marks on a timeline and as a list, keys to watch moment by
// moment, and the moment and fragment forms filled in from the player. The page works
// without it: the list's links start the video at a moment, the forms take typed times.

const FRAME = 1 / 25; // one frame of the web version (25 fps is what schools' cameras send)
const STEP = 1; // seconds back or forward
const NEAR = 0.25; // a moment this close to the current time counts as "here"

/** The decimal mark of the page's language: the player's data-decimal (the server's, from
 *  Babel's locale data), else what the browser knows of <html lang>. */
export function decimalMark(given, lang) {
  if (given === "," || given === ".") return given;
  try {
    const part = new Intl.NumberFormat(lang || undefined).formatToParts(1.5)
      .find((p) => p.type === "decimal");
    return part?.value === "," ? "," : ".";
  } catch {
    return ".";
  }
}

/** "1:05" or "1:05,5" / "1:05.5" (tenths when there are any, after the page's decimal mark),
 *  "1:02:03" past an hour: what the server prints and reads back (app/clips/forms.py
 *  format_time / parse_time). */
export function formatTime(seconds, decimal = ",") {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const whole = Math.floor(tenths / 10);
  const tenth = tenths % 10;
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  const text = h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  return tenth ? `${text}${decimal}${tenth}` : text;
}

/** Seconds from "75", "1:15", "1:15,5", "1:15.5" or "0:01:15" (either mark, whatever the
 *  page's language); NaN for anything else. */
export function parseTime(text) {
  const match = /^(?:(\d{1,2}):)?(?:(\d{1,3}):)?(\d{1,5}(?:[.,]\d{1,3})?)$/.exec(text.trim());
  if (!match) return NaN;
  const [, a, b, sec] = match;
  const seconds = Number(sec.replace(",", "."));
  if (a === undefined) return seconds;
  if (b === undefined) return Number(a) * 60 + seconds;
  return Number(a) * 3600 + Number(b) * 60 + seconds;
}

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || target.closest("input, textarea, select") !== null);
}

/** A mark on the timeline for each moment of the list beside the player (the list is the
 * page's own and works without script): a link to the same time, labelled as the moment. */
function drawMarks(list, items) {
  if (!list) return [];
  return items.map((item) => {
    const mark = document.createElement("a");
    mark.className = ["mark", item.dataset.mark].filter(Boolean).join(" ");
    mark.href = item.querySelector("[data-jump]")?.href ?? "#player";
    mark.dataset.start = item.dataset.start;
    if (item.dataset.end) mark.dataset.end = item.dataset.end;
    mark.setAttribute("aria-label", item.dataset.label);
    mark.title = item.dataset.label;
    const entry = document.createElement("li");
    entry.append(mark);
    list.append(entry);
    return mark;
  });
}

/** True when ``el`` (a control, a moment, a link to a time) belongs to the player ``root``:
 *  inside it, or in a list or link that names it (``data-for-player``), or, outside every
 *  player and naming none, the page's one player (the clip page's forms and list). */
function belongs(el, root) {
  const named = el.closest("[data-for-player]");
  if (named) return named.dataset.forPlayer === root.id;
  const player = el.closest("[data-player]");
  return player ? player === root : true;
}

/** Set up the player ``root`` (a ``[data-player]`` element) and return its controls.
 *  ``scope``: the part of the page it answers in (its moments, buttons and forms; the whole
 *  page by default). ``keys``: where it listens for its keys: "page" (the page's one
 *  player), "self" (while the focus is inside it: one of several), or "none" (a page module
 *  routes keys to it through ``key``). */
export function setUpPlayer(root, { scope = document, keys: listen = "page" } = {}) {
  const video = root.querySelector("[data-video]");
  const now = root.querySelector("[data-now]");
  const range = root.querySelector("[data-range]");
  const timeOut = root.querySelector("[data-time]");
  const items = [...scope.querySelectorAll("[data-moment]")].filter((li) => belongs(li, root));
  const marks = drawMarks(root.querySelector("[data-marks]"), items);
  const starts = [...new Set(items.map((li) => Number(li.dataset.start)))].sort((a, b) => a - b);
  const momentForm = scope.querySelector("[data-moment-form]");
  const fragmentForm = scope.querySelector("[data-fragment-form]");
  const labelPlay = root.querySelector("[data-label-play]");
  const labelPause = root.querySelector("[data-label-pause]");
  const decimal = decimalMark(root.dataset.decimal, document.documentElement.lang);
  const clock = (t) => formatTime(t, decimal);

  for (const el of scope.querySelectorAll("[data-js-only], [data-timeline]")) {
    if (belongs(el, root)) el.hidden = false;
  }

  const duration = () => (Number.isFinite(video.duration) && video.duration > 0
    ? video.duration : Number(root.dataset.duration) || 0);
  const percent = (t) => `${Math.min(100, Math.max(0, (t / (duration() || 1)) * 100))}%`;

  // Marks are positioned through the CSS object model: the CSP forbids style attributes.
  function placeMarks() {
    for (const mark of marks) {
      const start = Number(mark.dataset.start);
      mark.style.insetInlineStart = percent(start);
      if (mark.dataset.end) {
        const width = ((Number(mark.dataset.end) - start) / (duration() || 1)) * 100;
        mark.style.width = `max(.5rem, ${width}%)`;
        mark.classList.add("mark-span");
      }
    }
    showRange();
  }

  function seek(t) {
    video.currentTime = Math.min(Math.max(0, t), duration() || t);
  }

  function jump(t) {
    seek(t);
    video.play().catch(() => {});
  }

  function step(seconds) {
    video.pause();
    seek(video.currentTime + seconds);
  }

  function toMoment(direction) {
    const t = video.currentTime;
    const target = direction > 0
      ? starts.find((s) => s > t + NEAR)
      : [...starts].reverse().find((s) => s < t - NEAR);
    if (target !== undefined) seek(target);
  }

  function refresh() {
    const t = video.currentTime;
    if (now) now.style.insetInlineStart = percent(t);
    if (timeOut) timeOut.value = `${clock(t)} / ${clock(duration())}`;
    for (const li of items) {
      const here = Math.abs(Number(li.dataset.start) - t) < NEAR;
      li.classList.toggle("moment-here", here);
    }
    if (labelPlay && labelPause) {
      labelPlay.hidden = !video.paused;
      labelPause.hidden = video.paused;
    }
  }

  function fill(form, name, t) {
    const input = form?.querySelector(`[name="${name}"]`);
    if (input) input.value = clock(t);
    return input;
  }

  function addMoment() {
    if (!momentForm) return;
    video.pause();
    fill(momentForm, "start", video.currentTime);
    const tag = momentForm.querySelector("[name=tag]");
    momentForm.scrollIntoView({ block: "start" });
    (tag || momentForm.querySelector("[name=start]")).focus({ preventScroll: true });
  }

  function showRange() {
    if (!fragmentForm || !range) return;
    const a = parseTime(fragmentForm.querySelector("[name=start]").value);
    const b = parseTime(fragmentForm.querySelector("[name=end]").value);
    const ok = Number.isFinite(a) && Number.isFinite(b) && b > a;
    range.hidden = !ok;
    if (ok) {
      range.style.insetInlineStart = percent(a);
      range.style.width = `${((b - a) / (duration() || 1)) * 100}%`;
    }
  }

  // The in point is marked while watching: the video plays on to the out point, which
  // pauses it there.
  function setPoint(name) {
    if (!fragmentForm) return;
    if (name === "end") video.pause();
    fill(fragmentForm, name, video.currentTime);
    showRange();
  }

  // A video that stops with an error: ask the server (HEAD plays nothing and is not logged
  // as watching) whether it still lets this person have it, and say what happened.
  const stopped = {
    gone: root.querySelector("[data-video-gone]"),
    signedOut: root.querySelector("[data-video-signed-out]"),
    lost: root.querySelector("[data-video-lost]"),
  };
  async function explainStop() {
    let which = "lost";
    try {
      const response = await fetch(video.currentSrc || video.src, {
        method: "HEAD", credentials: "same-origin", cache: "no-store",
      });
      if (response.redirected && new URL(response.url).pathname.startsWith("/sign-in")) {
        which = "signedOut";
      } else if ([403, 404, 410].includes(response.status)) {
        which = "gone";
      }
    } catch {
      which = "lost";
    }
    for (const [name, element] of Object.entries(stopped)) {
      if (element) element.hidden = name !== which;
    }
    stopped[which]?.focus({ preventScroll: true });
  }
  video.addEventListener("error", explainStop);
  video.addEventListener("playing", () => {
    for (const element of Object.values(stopped)) if (element) element.hidden = true;
  });

  const actions = {
    toggle: () => (video.paused ? video.play().catch(() => {}) : video.pause()),
    back: () => step(-STEP),
    forward: () => step(STEP),
    "frame-back": () => step(-FRAME),
    "frame-forward": () => step(FRAME),
    "previous-moment": () => toMoment(-1),
    "next-moment": () => toMoment(1),
    "add-moment": addMoment,
    "moment-now": () => { video.pause(); fill(momentForm, "start", video.currentTime); },
    "set-in": () => setPoint("start"),
    "set-out": () => setPoint("end"),
  };
  const keys = {
    k: "toggle", j: "back", l: "forward", ",": "frame-back", ".": "frame-forward",
    p: "previous-moment", n: "next-moment", m: "add-moment", i: "set-in", o: "set-out",
  };

  scope.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) {
      if (belongs(button, root)) actions[button.dataset.action]();
      return;
    }
    const link = event.target.closest("[data-jump], .mark");
    if (link && belongs(link, root)) {
      event.preventDefault();
      jump(Number(link.dataset.jump ?? link.dataset.start));
      video.scrollIntoView({ block: "nearest" });
    }
  });

  /** Carry out the player's action for a key press; true when the key was the player's. */
  function key(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return false;
    const name = keys[event.key];
    if (!name) return false;
    if ((name === "add-moment" && !momentForm) || (name.startsWith("set-") && !fragmentForm)) {
      return false;
    }
    event.preventDefault();
    actions[name]();
    return true;
  }
  if (listen === "page") document.addEventListener("keydown", key);
  else if (listen === "self") root.addEventListener("keydown", key);

  fragmentForm?.addEventListener("input", showRange);
  for (const type of ["timeupdate", "seeked", "play", "pause"]) video.addEventListener(type, refresh);
  video.addEventListener("loadedmetadata", () => {
    placeMarks();
    const start = Number(root.dataset.start);
    if (start && video.currentTime < start - NEAR) seek(start);
    refresh();
  });
  placeMarks();
  refresh();
  return {
    root,
    video,
    key,
    jump,
    seek,
    play: () => video.play().catch(() => {}),
    pause: () => video.pause(),
  };
}

/** One play/pause for several players (a home and a school fragment side by side): the
 *  ``button`` and ``toggle()`` start them all when any is paused, else pause them all. The
 *  button's ``[data-label-play]`` / ``[data-label-pause]`` follow. */
export function linkPlayers(players, button) {
  const playing = () => players.some((p) => !p.video.paused);
  const labelPlay = button?.querySelector("[data-label-play]");
  const labelPause = button?.querySelector("[data-label-pause]");
  function refresh() {
    if (labelPlay && labelPause) {
      labelPlay.hidden = playing();
      labelPause.hidden = !playing();
    }
  }
  function toggle() {
    if (playing()) players.forEach((p) => p.pause());
    else players.forEach((p) => p.play());
  }
  for (const p of players) {
    for (const type of ["play", "pause", "ended"]) p.video.addEventListener(type, refresh);
  }
  button?.addEventListener("click", toggle);
  refresh();
  return { toggle, pause: () => players.forEach((p) => p.pause()), playing };
}

// The page's players, unless a page module sets them up itself (meeting mode). Where there
// is more than one, each answers its keys only while the focus is inside it.
const roots = [...document.querySelectorAll("[data-player]:not([data-player-managed])")];
for (const root of roots) setUpPlayer(root, { keys: roots.length === 1 ? "page" : "self" });
