import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

/** A collector on 127.0.0.1 that splits RFC 6587 octet-counted frames, as a strict receiver would. */
export interface Collector {
  readonly port: number;
  readonly messages: Buffer[];
  readonly connections: () => number;
  /** Resolves once `count` messages arrived. */
  readonly received: (count: number) => Promise<void>;
  /** Drops every open connection (a collector restart). */
  readonly dropConnections: () => void;
  readonly close: () => Promise<void>;
}

function framer(onMessage: (message: Buffer) => void, onError: () => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const space = pending.indexOf(0x20);
      if (space === -1) return;
      const digits = pending.subarray(0, space).toString('ascii');
      // RFC 6587 §3.4.1: MSG-LEN = NONZERO-DIGIT *DIGIT.
      if (!/^[1-9][0-9]*$/.test(digits)) {
        onError();
        return;
      }
      const length = Number(digits);
      if (pending.length < space + 1 + length) return;
      onMessage(pending.subarray(space + 1, space + 1 + length));
      pending = pending.subarray(space + 1 + length);
    }
  };
}

export async function listenCollector(tls?: TlsOptions): Promise<Collector> {
  const messages: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let waiters: { count: number; resolve: () => void }[] = [];
  const onSocket = (socket: Socket): void => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on(
      'data',
      framer(
        (message) => {
          messages.push(message);
          waiters = waiters.filter((waiter) => {
            if (messages.length < waiter.count) return true;
            waiter.resolve();
            return false;
          });
        },
        () => socket.destroy(),
      ),
    );
  };
  const server: Server = tls === undefined ? createServer(onSocket) : createTlsServer(tls, onSocket);
  if (tls !== undefined) server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    messages,
    connections: () => connections,
    received: (count) =>
      messages.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A parsed RFC 5424 message, checked against the ABNF of §6 on the way. */
export interface ParsedSyslog {
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly sdId: string;
  readonly params: [string, string][];
  readonly msg: Buffer;
}

const HEADER = /^<(\d{1,3})>([1-9]\d{0,2}) (\S+) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,48}) ([\x21-\x7e]{1,128}) ([\x21-\x7e]{1,32}) /;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Parses one message strictly: a field outside the ABNF, an unescaped `"`/`]`, or a second SD element throws. */
export function parseSyslog(message: Buffer): ParsedSyslog {
  const text = message.toString('latin1');
  const header = HEADER.exec(text);
  if (header === null) throw new Error(`bad header: ${text.slice(0, 80)}`);
  const [whole, pri, version, timestamp, hostname, appName, procId, msgId] = header as unknown as [string, string, string, string, string, string, string, string];
  if (!RFC3339.test(timestamp)) throw new Error('bad timestamp');
  let at = Buffer.byteLength(whole, 'latin1');
  if (message[at] !== 0x5b) throw new Error('expected [');
  at += 1;
  const idEnd = message.indexOf(0x20, at);
  const sdId = message.subarray(at, idEnd).toString('ascii');
  at = idEnd;
  const params: [string, string][] = [];
  while (message[at] === 0x20) {
    const eq = message.indexOf(0x3d, at);
    const name = message.subarray(at + 1, eq).toString('ascii');
    if (!/^[\x21-\x7e]{1,32}$/.test(name) || /[=\]" ]/.test(name)) throw new Error(`bad param name ${name}`);
    if (message[eq + 1] !== 0x22) throw new Error('expected "');
    const bytes: number[] = [];
    let i = eq + 2;
    for (;;) {
      const byte = message[i];
      if (byte === undefined) throw new Error('unterminated value');
      if (byte === 0x5c) {
        const next = message[i + 1];
        // §6.3.3: only ", \ and ] are escaped; a backslash before anything else is kept as is.
        if (next === 0x22 || next === 0x5c || next === 0x5d) {
          bytes.push(next);
          i += 2;
          continue;
        }
        bytes.push(byte);
        i += 1;
        continue;
      }
      if (byte === 0x5d) throw new Error('unescaped ] in a value');
      if (byte === 0x22) break;
      bytes.push(byte);
      i += 1;
    }
    params.push([name, Buffer.from(bytes).toString('utf8')]);
    at = i + 1;
  }
  if (message[at] !== 0x5d) throw new Error('expected ]');
  at += 1;
  if (message[at] !== 0x20) throw new Error('expected one SD element then SP MSG');
  return { pri: Number(pri), version: Number(version), timestamp, hostname, appName, procId, msgId, sdId, params, msg: message.subarray(at + 1) };
}
