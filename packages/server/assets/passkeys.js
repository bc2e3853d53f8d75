// Passkey ceremonies for the pages (WebAuthn needs a script). Loaded with the response's CSP nonce; the page marks
// its buttons with data-passkey="register | login | login-second-factor | step-up" and this script does the rest:
// it asks the server for the ceremony's options, hands them to the browser's authenticator, posts the answer back to
// the MFA module's JSON routes (same origin, the session cookie, the page's CSRF token), and navigates on success.
// Plain ES2020, no library, no bundler. Never eval, never innerHTML: messages are set as text.
/* global atob, btoa, document, fetch, location, navigator, URLSearchParams, window */
'use strict';

(() => {
  const ROUTES = {
    register: { options: '/v1/mfa/passkeys/options', finish: '/v1/mfa/passkeys', kind: 'create' },
    login: { options: '/v1/login/passkey/options', finish: '/v1/login/passkey', kind: 'get' },
    'login-second-factor': { options: '/v1/login/passkey/options', finish: '/v1/login/passkey', kind: 'get' },
    'step-up': { options: '/v1/mfa/passkeys/step-up/options', finish: '/v1/mfa/passkeys/step-up', kind: 'get' },
  };
  const DEFAULT_NEXT = { register: '/account/security', login: '/account', 'login-second-factor': '/account', 'step-up': '/account' };

  // base64url (RFC 4648 §5, no padding) ⇄ bytes: what the server's JSON uses for every binary WebAuthn member.
  function toBytes(text) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError('not base64url');
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }
  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // Only a path on this site: "/x" but never "//host" or "/\host" (which browsers read as another origin).
  function localPath(value, fallback) {
    return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : fallback;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta === null ? '' : meta.getAttribute('content') || '';
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken() },
      body: JSON.stringify(body),
    });
    let json = null;
    try {
      json = await response.json();
    } catch {
      json = null;
    }
    return { status: response.status, json };
  }

  function creationOptions(options) {
    const publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
    publicKey.excludeCredentials = (options.excludeCredentials || []).map((c) => Object.assign({}, c, { id: toBytes(c.id) }));
    return publicKey;
  }

  function requestOptions(options) {
    const publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.allowCredentials = (options.allowCredentials || []).map((c) => Object.assign({}, c, { id: toBytes(c.id) }));
    return publicKey;
  }

  // The JSON of a credential (WebAuthn L3 PublicKeyCredential.toJSON()), built here so older browsers work too. Only
  // the members the server declares are sent: its schemas are closed.
  function registrationJson(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON), attestationObject: toText(r.attestationObject) };
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
    if (typeof r.getAuthenticatorData === 'function') response.authenticatorData = toText(r.getAuthenticatorData());
    if (typeof r.getPublicKey === 'function') {
      const key = r.getPublicKey();
      if (key !== null) response.publicKey = toText(key);
    }
    if (typeof r.getPublicKeyAlgorithm === 'function') response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
    const extensions = credential.getClientExtensionResults();
    const clientExtensionResults = {};
    if (extensions.credProps && typeof extensions.credProps.rk === 'boolean') clientExtensionResults.credProps = { rk: extensions.credProps.rk };
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults,
      response,
    };
  }

  function assertionJson(credential) {
    const r = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: {},
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        authenticatorData: toText(r.authenticatorData),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null,
      },
    };
  }

  function statusFor(button) {
    const scope = button.closest('form, section, main') || document;
    return scope.querySelector('[data-passkey-status]');
  }

  function say(button, message) {
    const status = statusFor(button);
    if (status === null) return;
    status.textContent = message;
    status.hidden = message === '';
  }

  // What went wrong, in words; the server's problem `code` picks the message, its text is never inserted as markup.
  function failure(result) {
    const code = result.json && typeof result.json.code === 'string' ? result.json.code : '';
    if (code === 'mfa.rate_limited') return 'Too many attempts. Wait a moment and try again.';
    if (code === 'auth.login_token_invalid') return 'This sign-in has expired. Sign in again.';
    if (code === 'mfa.passkeys_unavailable') return 'Passkeys are not available on this server.';
    if (code === 'mfa.passkey_registration_failed') return 'The passkey could not be added. Try again.';
    if (code === 'mfa.passkey_failed') return 'That passkey was not accepted. Try again, or use another way to sign in.';
    return 'Something went wrong. Reload the page and try again.';
  }

  async function run(button) {
    const ceremony = button.getAttribute('data-passkey');
    const route = ROUTES[ceremony];
    if (route === undefined) return;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(button, 'This browser does not support passkeys.');
      return;
    }
    // A step-up page carries where to go back to in its own ?next= (checked again here: a local path only).
    const fallback = ceremony === 'step-up' ? localPath(new URLSearchParams(location.search).get('next'), DEFAULT_NEXT[ceremony]) : DEFAULT_NEXT[ceremony];
    const next = localPath(button.getAttribute('data-passkey-next'), fallback);
    const loginToken = button.getAttribute('data-login-token');
    const start = ceremony === 'login-second-factor' && loginToken ? { loginToken } : {};
    say(button, '');
    button.disabled = true;
    try {
      const options = await post(route.options, start);
      if (options.status === 403 && options.json && options.json.code === 'auth.step_up_required') {
        // The change needs a fresh sign-in: the step-up page brings the user back here afterwards.
        const back = localPath(button.getAttribute('data-passkey-step-up'), location.pathname);
        location.assign('/step-up?next=' + encodeURIComponent(back));
        return;
      }
      if (options.status !== 200 || !options.json || typeof options.json.options !== 'object') {
        say(button, failure(options));
        return;
      }
      let credential;
      try {
        credential =
          route.kind === 'create'
            ? await navigator.credentials.create({ publicKey: creationOptions(options.json.options) })
            : await navigator.credentials.get({ publicKey: requestOptions(options.json.options) });
      } catch {
        say(button, 'The passkey prompt was closed or timed out. Try again.');
        return;
      }
      if (credential === null) {
        say(button, 'No passkey was chosen.');
        return;
      }
      const body = { response: route.kind === 'create' ? registrationJson(credential) : assertionJson(credential) };
      if (ceremony === 'register') {
        const input = document.getElementById(button.getAttribute('data-passkey-name-input') || '');
        const name = input === null ? '' : input.value.trim();
        if (name !== '') body.name = name.slice(0, 64);
      }
      if (ceremony === 'login-second-factor' && loginToken) body.loginToken = loginToken;
      const finished = await post(route.finish, body);
      if (finished.status >= 200 && finished.status < 300) {
        location.assign(next);
        return;
      }
      say(button, failure(finished));
    } catch {
      say(button, 'Something went wrong. Reload the page and try again.');
    } finally {
      button.disabled = false;
    }
  }

  function bind() {
    for (const button of document.querySelectorAll('[data-passkey]')) {
      button.addEventListener('click', (event) => {
        event.preventDefault();
        void run(button);
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bind);
  else bind();
})();
