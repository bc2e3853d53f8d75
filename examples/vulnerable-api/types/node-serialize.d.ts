// Types for `node-serialize` 0.0.4; the package ships none.
declare module 'node-serialize' {
  export function serialize(value: unknown): string;
  export function unserialize(text: string): unknown;
  const nodeSerialize: { serialize: typeof serialize; unserialize: typeof unserialize };
  export default nodeSerialize;
}
