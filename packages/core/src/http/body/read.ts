import { fail, ok, type Result } from '../../result.js';

/** Why a body could not be read. */
export type ReadBodyRefusal = 'too_large' | 'incomplete';

/**
 * Reads a request body into one buffer, up to `maxBytes`.
 *
 * Protects against bodies larger than the limit whatever their framing says: a chunked body declares no length, and a
 * declared `Content-Length` is checked by the guard but is the client's word. Reading stops at the first chunk that
 * crosses the limit (`too_large`), so at most `maxBytes` are ever held. The stream is left paused, not destroyed, so
 * the caller can still answer 413 — send it with `Connection: close` so the rest is never read. A stream that fails
 * (the client went away) yields `incomplete`; nothing is thrown.
 */
export async function readBody(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Result<Buffer, ReadBodyRefusal>> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Iterated by hand: `for await` would call `return()` on the early exit, which destroys a Node stream and its socket
  // before the 413 can be written.
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      const chunk = next.value;
      total += chunk.byteLength;
      if (total > maxBytes) return fail('too_large');
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch {
    return fail('incomplete');
  }
  return ok(Buffer.concat(chunks, total));
}
