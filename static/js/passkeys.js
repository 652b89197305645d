// Passkeys (WebAuthn): registering one on the account page, and using one to sign in or to
// confirm it is you. The server hands out the options (with a fresh challenge) and checks
// the answer; this module only carries them between the server and the browser.

const b64urlToBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "===".slice((base64.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
};

const bytesToB64url = (buffer) => {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const withIds = (list) => (list || []).map((c) => ({ ...c, id: b64urlToBytes(c.id) }));

function creationOptions(json) {
  return {
    ...json,
    challenge: b64urlToBytes(json.challenge),
    user: { ...json.user, id: b64urlToBytes(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
}

function requestOptions(json) {
  return {
    ...json,
    challenge: b64urlToBytes(json.challenge),
    allowCredentials: withIds(json.allowCredentials),
  };
}

function registrationJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: bytesToB64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bytesToB64url(response.clientDataJSON),
      attestationObject: bytesToB64url(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : [],
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment,
  };
}

function assertionJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: bytesToB64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bytesToB64url(response.clientDataJSON),
      authenticatorData: bytesToB64url(response.authenticatorData),
      signature: bytesToB64url(response.signature),
      userHandle: response.userHandle ? bytesToB64url(response.userHandle) : null,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment,
  };
}

async function post(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await response.json(); } catch { data = {}; }
  return { ok: response.ok, data };
}

function setUp(box) {
  const button = box.querySelector("button");
  const message = box.querySelector("[data-passkey-message]");
  const nameInput = box.querySelector("input");
  const { csrf, options, verify, msgCancelled, msgFailed } = box.dataset;
  const registering = box.dataset.passkey === "register";

  const say = (text) => { message.textContent = text || ""; };

  button.addEventListener("click", async () => {
    button.disabled = true;
    say("");
    try {
      const asked = await post(options, csrf);
      if (!asked.ok) { say(asked.data.error || msgFailed); return; }
      let credential;
      try {
        credential = registering
          ? await navigator.credentials.create({ publicKey: creationOptions(asked.data) })
          : await navigator.credentials.get({ publicKey: requestOptions(asked.data) });
      } catch (problem) {
        say(msgCancelled);
        return;
      }
      const body = registering
        ? { credential: registrationJSON(credential), name: nameInput ? nameInput.value : "" }
        : { credential: assertionJSON(credential) };
      const answer = await post(verify, csrf, body);
      if (answer.ok && answer.data.redirect) {
        window.location.assign(answer.data.redirect);
        return;
      }
      say(answer.data.error || msgFailed);
    } catch (problem) {
      say(msgFailed);
    } finally {
      button.disabled = false;
    }
  });
  box.hidden = false;
}

export function setUpPasskeys(boxes) {
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  for (const box of boxes) setUp(box);
}
