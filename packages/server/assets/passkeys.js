// Passkey ceremonies for the pages (WebAuthn needs a script). Loaded with the response's CSP nonce; the page marks
// its form with data-passkey="register|login|step-up" and the script fills in the rest.
'use strict';
