// The processing panel of a clip that is not ready yet (templates/clips/_processing.html):
// asks the status route every second, shows the state, the progress and the poster once it
// exists, and reloads the page when the clip is ready to watch. It stops asking when the
// conversion failed (the retry button, for the coach, starts it again), unless the conversion
// was interrupted and starts again by itself (status.resumes).

const POLL_MS = 1000;
const MAX_BACKOFF_MS = 10000;

function show(element, visible) {
  if (element) element.hidden = !visible;
}

function render(panel, status) {
  panel.dataset.state = status.state;
  const label = panel.querySelector("[data-status-label]");
  if (label) label.textContent = status.label;
  const failure = panel.querySelector("[data-status-failure]");
  if (failure) failure.textContent = status.failure || "";
  show(failure, Boolean(status.failure));
  const busy = status.state === "uploaded" || status.state === "processing";
  show(panel.querySelector("[data-status-progress]"), busy);
  show(panel.querySelector("[data-status-wait]"), busy);
  const bar = panel.querySelector("progress");
  if (bar) {
    bar.value = status.progress;
    bar.textContent = `${status.progress} %`;
  }
  const percent = panel.querySelector("[data-status-percent]");
  if (percent) percent.textContent = `${status.progress} %`;
  const poster = panel.querySelector("[data-status-poster]");
  if (poster && status.poster_url && !poster.getAttribute("src")) {
    poster.src = status.poster_url;
    poster.hidden = false;
  }
  show(panel.querySelector("[data-status-retry]"), status.retryable);
  show(panel.querySelector("[data-status-worker]"), Boolean(status.worker_stopped));
}

function watch(panel) {
  const url = panel.dataset.clipStatus;
  let delay = POLL_MS;
  const ask = async () => {
    let status;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      // Gone or no longer allowed (a withdrawal, a removal): stop asking.
      if (response.status === 403 || response.status === 404) return;
      if (!response.ok) throw new Error(`status ${response.status}`);
      status = await response.json();
      delay = POLL_MS;
    } catch {
      // A network hiccup or a restart: ask again, less often.
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      setTimeout(ask, delay);
      return;
    }
    render(panel, status);
    if (status.state === "ready") {
      window.location.reload();
    } else if (status.state !== "failed" || status.resumes) {
      setTimeout(ask, status.resumes ? MAX_BACKOFF_MS : delay);
    }
  };
  ask();
}

for (const panel of document.querySelectorAll("[data-clip-status]")) {
  watch(panel);
}
