// Mailed links carry their token in the fragment (/verify-email#token=…, /reset-password#token=…): browsers never send
// a fragment to a server, so it stays out of access logs, proxies and Referer headers. This script moves it into the
// page's form, removes it from the address bar and history, and submits the form when the page asks for it
// (data-link-token="submit"). Without script, the token field stays visible for the user to paste into.
/* global document, window */
'use strict';
(function () {
  var form = document.querySelector('form[data-link-token]');
  if (!form) return;
  var match = /^#token=([A-Za-z0-9_-]{43})$/.exec(window.location.hash);
  if (!match) return;
  var field = form.querySelector('input[name="token"]');
  if (!field) return;
  field.value = match[1];
  // The token leaves the URL before anything else happens: no bookmark, history entry or screenshot keeps it.
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  var wrapper = form.querySelector('[data-token-field]');
  if (wrapper) wrapper.hidden = true;
  if (form.getAttribute('data-link-token') === 'submit') {
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  }
})();
