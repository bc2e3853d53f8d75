import type { Severity, VulnerabilityClass } from '../types.js';

/** How a vulnerability class is named and explained in reports (SARIF rule descriptions, text headings). */
export interface ClassDescription {
  readonly title: string;
  readonly description: string;
}

/** One line per class: what the weakness lets an attacker do. */
export const CLASS_DESCRIPTIONS: Readonly<Record<VulnerabilityClass, ClassDescription>> = {
  'sql-injection': { title: 'SQL injection', description: 'Untrusted data is built into a SQL statement, so an attacker can change the query and read or modify the database.' },
  'nosql-injection': { title: 'NoSQL injection', description: 'Untrusted data becomes a NoSQL query operator or object, so an attacker can change what a query matches (for example `{"$ne": null}`).' },
  'ldap-injection': { title: 'LDAP injection', description: 'Untrusted data is built into an LDAP filter or DN without escaping, so an attacker can change what the directory returns.' },
  'command-injection': { title: 'OS command injection', description: 'Untrusted data reaches a shell command or a spawned program\'s arguments, so an attacker can run commands on the server.' },
  'code-injection': { title: 'Code injection', description: 'Untrusted data is evaluated as code (eval, Function, vm), so an attacker can run arbitrary JavaScript in the server.' },
  'path-traversal': { title: 'Path traversal', description: 'Untrusted data is used as a file path without confinement, so an attacker can read or write files outside the intended directory.' },
  ssrf: { title: 'Server-side request forgery', description: 'Untrusted data decides a URL the server fetches, so an attacker can reach internal services and cloud metadata endpoints.' },
  xss: { title: 'Cross-site scripting', description: 'Untrusted data is written into an HTML response without encoding, so an attacker can run script in other users\' browsers.' },
  'open-redirect': { title: 'Open redirect', description: 'Untrusted data decides a redirect target, so an attacker can send users from a trusted link to a site of their choosing.' },
  xxe: { title: 'XML external entities', description: 'XML from an untrusted source is parsed with external entities enabled, so an attacker can read files or make the server send requests.' },
  'unsafe-deserialization': { title: 'Unsafe deserialization', description: 'Untrusted data is deserialized by a format that can construct objects or run code.' },
  'prototype-pollution': { title: 'Prototype pollution', description: 'Untrusted keys are merged or assigned into objects, so an attacker can set `__proto__` properties that change the behaviour of every object.' },
  'mass-assignment': { title: 'Mass assignment', description: 'A request body is stored wholesale, so an attacker can set fields they must not control (role, owner, verified).' },
  'log-injection': { title: 'Log injection', description: 'Untrusted data is written to logs without neutralizing line breaks, so an attacker can forge log entries.' },
  redos: { title: 'Regular expression denial of service', description: 'A regular expression with catastrophic backtracking is applied to untrusted data, so one request can hold a CPU for seconds or more.' },
  'jwt-misuse': { title: 'JWT misuse', description: 'Tokens are decoded without verification, or verified without pinning algorithms, so an attacker can forge identities.' },
  'hardcoded-secret': { title: 'Hard-coded secret', description: 'A credential or key is written in the source, where everyone with the code (or a leaked copy) has it.' },
  'weak-password-hash': { title: 'Weak password hash', description: 'Passwords are hashed with a fast or unsalted function, so a leaked database is cracked quickly.' },
  'weak-crypto': { title: 'Weak cryptography', description: 'A broken or misused cryptographic primitive (MD5, SHA-1 for signatures, ECB, static IVs) protects data.' },
  'insecure-randomness': { title: 'Insecure randomness', description: 'A predictable generator (Math.random) makes a value an attacker must not guess: a token, an id, a password.' },
  'insecure-cookie': { title: 'Insecure cookie', description: 'A session or security cookie lacks Secure, HttpOnly or SameSite, so it can be stolen or sent cross-site.' },
  'cors-misconfiguration': { title: 'CORS misconfiguration', description: 'The CORS policy reflects any origin or allows credentials too widely, so other sites can read authenticated responses.' },
  'tls-verification-disabled': { title: 'TLS verification disabled', description: 'Certificate verification is switched off, so anyone on the network path can read and change the traffic.' },
  'trust-proxy': { title: 'Trusting proxy headers', description: 'Client addresses or protocols are taken from headers any client can set, defeating rate limits and IP rules.' },
};

/** GitHub code scanning's numeric severity scale (`security-severity`), per Rampart severity. */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  note: '1.0',
};

/** SARIF result levels: what blocks a merge is an error; medium a warning; low and note are notes. */
export const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  note: 'note',
};
