// The upload page: sends a video with tus (resumable), shows progress and speed, and resumes
// an upload that stopped earlier, also after the page was closed (tus-js-client keeps the
// upload's address in localStorage, keyed by the file's name, size and date).
// tus-js-client is loaded before this module as a plain script (window.tus).

const form = document.getElementById("upload-form");

// Numbers in the page's language: "2,5" in Dutch, "2.5" in English.
const oneDecimal = new Intl.NumberFormat(document.documentElement.lang || undefined, {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

function text(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

function setup(tus) {
  const d = form.dataset;
  const els = {
    file: form.querySelector("#upload-file"),
    fileError: form.querySelector("#upload-file-error"),
    audienceError: form.querySelector("#upload-audience-error"),
    status: form.querySelector("#upload-status"),
    progress: form.querySelector("#upload-progress"),
    percent: form.querySelector("#upload-percent"),
    speed: form.querySelector("#upload-speed"),
    message: form.querySelector("#upload-message"),
    error: form.querySelector("#upload-error"),
    start: form.querySelector("#upload-start"),
    cancel: form.querySelector("#upload-cancel"),
  };
  let upload = null;
  let lastTick = null;

  form.hidden = false;

  function showError(message) {
    els.error.querySelector("p").textContent = message;
    els.error.hidden = !message;
    if (message) els.error.focus?.();
  }

  function fieldError(el, message) {
    el.textContent = message || "";
    el.hidden = !message;
  }

  function busy(on) {
    els.start.disabled = on;
    els.cancel.hidden = !on;
    els.file.disabled = on;
  }

  function metadata(file) {
    const audience = form.querySelector('input[name="audience"]:checked');
    return {
      filename: file.name,
      filetype: file.type || "application/octet-stream",
      title: form.querySelector("#upload-title").value.trim(),
      recorded_on: form.querySelector("#upload-recorded-on").value,
      audience: audience ? audience.value : "",
      shows_others: form.querySelector("#upload-shows-others").checked ? "1" : "0",
    };
  }

  // Progress is what the server confirmed (each part's Upload-Offset), never what the
  // browser merely sent: a part that fails and is sent again does not count twice, and the
  // speed never goes backwards.
  function onConfirmed(accepted, total) {
    const percent = total ? Math.floor((accepted / total) * 100) : 0;
    els.progress.value = percent;
    els.percent.textContent = text(d.msgProgress, { percent });
    const now = performance.now();
    if (lastTick && accepted > lastTick.sent && now - lastTick.time > 500) {
      const mbs = (accepted - lastTick.sent) / 1048576 / ((now - lastTick.time) / 1000);
      els.speed.textContent = text(d.msgSpeed, { speed: oneDecimal.format(mbs) });
      lastTick = { time: now, sent: accepted };
    } else if (!lastTick || accepted < lastTick.sent) {
      lastTick = { time: now, sent: accepted };
    }
  }

  function statusOf(error) {
    return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
  }

  function serverMessage(error) {
    const response = error && error.originalResponse;
    const body = response ? response.getBody() : "";
    // Our tus answers carry one plain sentence; an HTML error page does not belong here.
    if (body && body.length < 500 && !body.trimStart().startsWith("<")) return body;
    return d.msgFailed;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // This form is never sent as a page: keep the page-wide double-submit guard (app.js)
    // from disabling its button, so a corrected form can be sent again.
    event.stopPropagation();
    showError("");
    const file = els.file.files[0];
    fieldError(els.fileError, file ? "" : d.msgNoFile);
    const meta = file ? metadata(file) : null;
    const needsAudience = form.querySelectorAll('input[name="audience"]').length > 0;
    fieldError(els.audienceError, meta && needsAudience && !meta.audience ? d.msgNoAudience : "");
    if (!file || (needsAudience && !meta.audience)) return;
    if (file.size > Number(d.max)) {
      fieldError(els.fileError, d.msgTooLarge);
      return;
    }
    upload = new tus.Upload(file, {
      endpoint: d.endpoint,
      chunkSize: Number(d.chunk),
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      metadata: meta,
      headers: { "X-CSRFToken": d.csrf },
      // One child, one person: an upload of this file for another child is another upload.
      fingerprint: async (f) => ["beeldbrug", d.child, f.name, f.type, f.size, f.lastModified].join("-"),
      removeFingerprintOnSuccess: true,
      onChunkComplete: (_size, accepted, total) => onConfirmed(accepted, total),
      onShouldRetry: (error) => {
        const status = statusOf(error);
        if (!status) els.message.textContent = d.msgOffline;
        // 507: the server's disk is full and it removed what arrived; trying again is no use.
        if (status === 507) return false;
        return status === 0 || status === 409 || status === 423 || status >= 500;
      },
      onError: (error) => {
        busy(false);
        els.status.hidden = true;
        showError(serverMessage(error));
        // What the server still keeps of this upload can be removed from here.
        const status = statusOf(error);
        els.cancel.hidden = !(upload && upload.url && status !== 507 && status !== 404);
      },
      onSuccess: () => {
        busy(false);
        els.progress.value = 100;
        els.message.textContent = d.msgDone;
        window.setTimeout(() => { window.location.assign(d.doneUrl); }, 2500);
      },
    });
    busy(true);
    els.status.hidden = false;
    lastTick = null;
    const previous = await upload.findPreviousUploads();
    if (previous.length) {
      upload.resumeFromPreviousUpload(previous[0]);
      els.message.textContent = d.msgResumed;
    }
    upload.start();
  });

  els.cancel.addEventListener("click", async () => {
    if (!upload) return;
    busy(false);
    els.cancel.hidden = true;
    els.status.hidden = true;
    showError("");
    try {
      await upload.abort(true); // true: also DELETE it on the server (termination)
    } catch {
      // Already gone on the server: nothing to remove.
    }
    upload = null;
    els.message.textContent = d.msgCancelled;
  });
}

if (form && window.tus && window.tus.isSupported) setup(window.tus);
