import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from './read.js';

/** A client that keeps sending: counts how many chunks were pulled from it. */
function endless(chunkSize: number): { stream: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        pulled += 1;
        return Promise.resolve({ done: false, value: new Uint8Array(chunkSize) });
      },
    }),
  };
  return { stream, pulled: () => pulled };
}

describe('readBody', () => {
  it('attack: a body larger than its declared length (or chunked without end) stops at the limit', async () => {
    const client = endless(1024);
    expect(await readBody(client.stream, 10_000)).toEqual({ ok: false, reason: 'too_large' });
    expect(client.pulled()).toBe(10);
  });

  it('attack: one huge chunk is refused without being kept', async () => {
    expect(await readBody(Readable.from([Buffer.alloc(10), Buffer.alloc(2_000_000)]), 102_400)).toEqual({ ok: false, reason: 'too_large' });
  });

  it('reads a body up to and including the limit, from Node streams and web streams', async () => {
    const node = await readBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 7);
    expect(node.ok && node.value.toString()).toBe('{"a":1}');
    const web = await readBody(new Blob(['hello', ' ', 'world']).stream(), 11);
    expect(web.ok && web.value.toString()).toBe('hello world');
    const empty = await readBody(Readable.from([]), 0);
    expect(empty.ok && empty.value.length).toBe(0);
    expect(await readBody(Readable.from([Buffer.from('x')]), 0)).toEqual({ ok: false, reason: 'too_large' });
  });

  it('leaves the stream undestroyed on refusal, so a 413 can still be written', async () => {
    const stream = new Readable({ read() {} });
    stream.push(Buffer.alloc(100));
    const result = await readBody(stream, 50);
    expect(result).toEqual({ ok: false, reason: 'too_large' });
    expect(stream.destroyed).toBe(false);
    stream.destroy();
  });

  it('a stream that fails (the client went away) yields incomplete, not an exception', async () => {
    let calls = 0;
    const aborted: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          calls += 1;
          return calls === 1 ? Promise.resolve({ done: false, value: Buffer.from('{"a"') }) : Promise.reject(new Error('aborted'));
        },
      }),
    };
    expect(await readBody(aborted, 1000)).toEqual({ ok: false, reason: 'incomplete' });
  });
});
