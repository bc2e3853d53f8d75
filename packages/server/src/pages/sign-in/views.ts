import type { Problem } from '@rampart/core/http';
import type { PolicyViolation } from '@rampart/core/password';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.js';
import { renderPage, sendPage, type PageContent } from '../layout.js';

/*
 * The markup the sign-in pages share: fields with bound labels and the autocomplete tokens password managers and
 * one-time-code autofill need (WHATWG "autofill"), errors in a `role="alert"` region, notices in a `role="status"` one.
 */

/**
 * Sends a sign-in page, never cached: these pages carry CSRF tokens, link tokens, secrets or the result of a
 * credential check, none of which a shared or back-button cache may keep.
 */
export function sendSignInPage(request: FastifyRequest, reply: FastifyReply, status: number, content: PageContent): FastifyReply {
  const signedIn = content.signedIn ?? request.identity?.source === 'session';
  return sendPage(reply.header('cache-control', 'no-store'), status, renderPage(request, { ...content, signedIn }));
}

/** An error the page reports: announced by screen readers at once (`role="alert"`). */
export function alertBox(message: string | undefined): SafeHtml | undefined {
  return message === undefined ? undefined : html`<div class="error" role="alert"><p>${message}</p></div>`;
}

/** A notice after a redirect (`role="status"`: announced politely). */
export function noticeBox(message: string | undefined): SafeHtml | undefined {
  return message === undefined ? undefined : html`<div class="notice" role="status"><p>${message}</p></div>`;
}

/** The e-mail field (`autocomplete="email"`); its value is encoded like every interpolation. */
export function emailField(value: string): SafeHtml {
  return html`<label for="email">E-mail address</label>
<input id="email" name="email" type="email" required maxlength="254" autocomplete="email" value="${value}">`;
}

/** A password field; never pre-filled (a re-rendered form does not echo a password). */
export function passwordField(autocomplete: 'current-password' | 'new-password', label = 'Password', name = 'password'): SafeHtml {
  return html`<label for="${name}">${label}</label>
<input id="${name}" name="${name}" type="password" required maxlength="1024" autocomplete="${autocomplete}"${autocomplete === 'new-password' ? html` minlength="12" aria-describedby="${`${name}-hint`}"` : ''}>
${autocomplete === 'new-password' ? html`<p id="${`${name}-hint`}" class="hint">At least 12 characters. A few unrelated words make a strong, memorable password.</p>` : ''}`;
}

/** The one-time-code fields: which kind of code (authenticator app or backup code), and the code. */
export function codeFields(offer: { readonly totp: boolean; readonly backupCode: boolean }): SafeHtml {
  const choices = [
    offer.totp ? html`<label class="choice"><input type="radio" name="method" value="totp" checked> Code from your authenticator app</label>` : undefined,
    offer.backupCode ? html`<label class="choice"><input type="radio" name="method" value="backup_code"${offer.totp ? '' : html` checked`}> One of your backup codes</label>` : undefined,
  ];
  return html`<fieldset>
<legend>Second factor</legend>
${choices}
<label for="code">Code</label>
<input id="code" name="code" type="text" required maxlength="32" inputmode="text" autocomplete="one-time-code" spellcheck="false" autocapitalize="off">
</fieldset>`;
}

const VIOLATION_TEXT: Readonly<Record<PolicyViolation['code'], string>> = {
  not_a_string: 'Enter a password.',
  invalid_characters: 'It contains characters that cannot be used.',
  too_short: 'It is too short: use at least 12 characters.',
  too_long: 'It is too long.',
  common_password: 'It is one of the passwords attackers try first.',
  context_word: 'It contains your e-mail address or the name of this service.',
  too_weak: 'It is too easy to guess.',
};

const PAGE_MESSAGES: Readonly<Record<string, string>> = {
  'auth.second_factor_required': 'Your account has a second factor: confirm with it as well.',
  'auth.throttled': 'Too many attempts. Wait a while, then try again.',
};

/** What a form says about a refusal: the problem's own client-safe text, or a page wording of it. Never a reason. */
export function problemMessage(problem: Problem): string {
  return (problem.code === undefined ? undefined : PAGE_MESSAGES[problem.code]) ?? problem.detail ?? problem.title;
}

/** The policy's refusal as text the user can act on: one sentence per violation code, never the password. */
export function violationList(violations: readonly PolicyViolation[]): SafeHtml {
  const items = [...new Set(violations.map((v) => VIOLATION_TEXT[v.code]))];
  return html`<div class="error" role="alert"><p>Choose another password:</p><ul>${items.map((text) => html`<li>${text}</li>`)}</ul></div>`;
}
