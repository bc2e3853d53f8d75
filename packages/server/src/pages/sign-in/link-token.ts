import { Type } from '@rampart/core/validate';
import { TOKEN_PATTERN } from '../../accounts/index.js';
import { html, type SafeHtml } from '../html.js';

/** The mailed link's token, in a form field; the same grammar the accounts service checks. */
export const LINK_TOKEN = Type.String({ pattern: TOKEN_PATTERN });

/**
 * The token field of a page opened from a mailed link (`/verify-email#token=…`, `/reset-password#token=…`). The
 * fragment never reaches the server (nor a `Referer`, nor an access log), so `assets/link-token.js` copies it into this
 * field, removes it from the address bar and — for `data-link-token="submit"` forms — submits. Without script the
 * field stays visible and the user pastes the token from the link.
 */
export function linkTokenField(value = ''): SafeHtml {
  return html`<div data-token-field>
<label for="token">Code from the link</label>
<p id="token-hint" class="hint">Paste the part of the link after <code>#token=</code>.</p>
<input id="token" name="token" type="text" required maxlength="128" autocomplete="off" spellcheck="false" autocapitalize="off" aria-describedby="token-hint" value="${value}">
</div>`;
}
