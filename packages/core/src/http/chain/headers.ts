import type { ResponseHeaderSink } from './types.js';

/** The response headers the guards of one request decided on. Names are lower-case. */
export class ResponseHeaders implements ResponseHeaderSink {
  readonly #values = new Map<string, string>();
  readonly #cookies: string[] = [];

  set(name: string, value: string): void {
    this.#values.set(name, value);
  }

  appendList(name: string, value: string): void {
    const current = this.#values.get(name);
    if (current === undefined) {
      this.#values.set(name, value);
      return;
    }
    const members = current.split(',').map((member) => member.trim().toLowerCase());
    if (!members.includes(value.toLowerCase())) this.#values.set(name, `${current}, ${value}`);
  }

  addCookie(serialized: string): void {
    this.#cookies.push(serialized);
  }

  /** Every header except `set-cookie`. */
  entries(): IterableIterator<[string, string]> {
    return this.#values.entries();
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  /** The `set-cookie` lines, in the order guards added them. */
  get cookies(): readonly string[] {
    return this.#cookies;
  }
}
