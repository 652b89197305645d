// Small progressive enhancements; the portal works without JavaScript.

// Buttons inside forms are disabled after the first submit, against double submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.submitted) return;
  form.dataset.submitted = "1";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    // Keep the clicked button's name/value in the submission, then disable.
    setTimeout(() => { button.disabled = true; }, 0);
  }
});

// Show the "access until" date only for a specialist invitation.
const role = document.querySelector("select#role");
const until = document.querySelector("#access_until");
if (role && until) {
  const field = until.closest(".field");
  const sync = () => { field.hidden = role.value !== "specialist"; };
  role.addEventListener("change", sync);
  sync();
}

// Signing out forgets the text meeting mode kept in this browser while it was not saved yet
// (static/js/meeting-mode.js): a school laptop is shared.
document.addEventListener("submit", (event) => {
  if (!event.target.matches?.("form[data-sign-out]")) return;
  try {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith("beeldbrug-draft:")) localStorage.removeItem(key);
    }
  } catch { /* storage unavailable */ }
});

// Coming back through the browser's history restores a usable page.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submitted]")) {
    delete form.dataset.submitted;
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
  }
});

// The signature pad on the consent form.
const pad = document.querySelector("[data-signature]");
if (pad) {
  import("./signature-pad.js").then(({ setUpSignaturePad }) => setUpSignaturePad(pad));
}

// Passkeys: registering and using one, where the page offers it.
const passkeyBoxes = document.querySelectorAll("[data-passkey]");
if (passkeyBoxes.length) {
  import("./passkeys.js").then(({ setUpPasskeys }) => setUpPasskeys(passkeyBoxes));
}
