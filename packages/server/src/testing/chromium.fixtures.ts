/*
 * A real browser for page tests: Debian's Chromium driven by playwright-core (never a downloaded browser build).
 * Without Chromium the suites that need it are skipped by name; `.ci/run` installs it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.RAMPART_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Whether the browser suites can run here. */
export const haveChromium = existsSync(CHROMIUM_PATH);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches Chromium headless with the flags CI uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}

/** A CSP violation the page reported (`securitypolicyviolation`). */
export interface CspViolation {
  readonly directive: string;
  readonly blockedURI: string;
  readonly url: string;
}

/**
 * Records every CSP violation of every document `page` loads from now on: an init script (run by the browser before
 * the page's own scripts, outside the page's CSP) listens for `securitypolicyviolation` and reports through a binding.
 */
export async function collectCspViolations(page: Page): Promise<CspViolation[]> {
  const violations: CspViolation[] = [];
  await page.exposeBinding('__rampartCspViolation', (_source, violation: CspViolation) => {
    violations.push(violation);
  });
  // Browser code as text: this package is type-checked without the DOM library.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    window.__rampartCspViolation({ directive: event.effectiveDirective, blockedURI: event.blockedURI, url: document.location.href });
  });`);
  return violations;
}
