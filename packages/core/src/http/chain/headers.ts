import type { ResponseHeaderSink } from './types.js';

/**
 * The response headers the guards of one request decided on. Names are lower-case.
 *
 * Kept in two parallel arrays rather than a `Map`: a chain sets about a dozen headers per request, for which a linear
 * scan over interned name constants is cheaper than hashing, and `forEach` walks them without the `[name, value]`
 * pair a `Map` iterator allocates per entry — this object is created and drained once per request on every route.
 */
export class ResponseHeaders implements ResponseHeaderSink {
  readonly #names: string[] = [];
  readonly #values: string[] = [];
  #cookies: string[] | undefined;

  set(name: string, value: string): void {
    const index = this.#names.indexOf(name);
    if (index === -1) {
      this.#names.push(name);
      this.#values.push(value);
    } else {
      this.#values[index] = value;
    }
  }

  appendList(name: string, value: string): void {
    const index = this.#names.indexOf(name);
    if (index === -1) {
      this.set(name, value);
      return;
    }
    const current = this.#values[index] ?? '';
    const members = current.split(',').map((member) => member.trim().toLowerCase());
    if (!members.includes(value.toLowerCase())) this.#values[index] = `${current}, ${value}`;
  }

  addCookie(serialized: string): void {
    (this.#cookies ??= []).push(serialized);
  }

  /**
   * Calls `apply(target, name, value)` for every header except `set-cookie`, in the order guards first set them. The
   * target is passed through (rather than captured) so an adapter's per-request application needs no closure.
   */
  forEach<Target>(target: Target, apply: (target: Target, name: string, value: string) => void): void {
    const names = this.#names;
    const values = this.#values;
    for (let index = 0; index < names.length; index += 1) apply(target, names[index] as string, values[index] as string);
  }

  /** Every header except `set-cookie`, as `[name, value]` pairs (allocates; adapters use {@link forEach}). */
  entries(): IterableIterator<[string, string]> {
    return this.#names.map((name, index): [string, string] => [name, this.#values[index] as string]).values();
  }

  get(name: string): string | undefined {
    const index = this.#names.indexOf(name);
    return index === -1 ? undefined : this.#values[index];
  }

  /** The `set-cookie` lines, in the order guards added them. */
  get cookies(): readonly string[] {
    return this.#cookies ?? NO_COOKIES;
  }
}

const NO_COOKIES: readonly string[] = Object.freeze([]);
