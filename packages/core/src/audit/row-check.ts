/*
 * The per-row checks verify() makes on its fast path, shared by the sequential walk and the parallel workers so the
 * two cannot drift apart. A row that fails any of them goes to the sequential slow path, which says exactly what is
 * wrong; these only ever confirm.
 */

/**
 * Whether `canonical` starts as the log writes `{ seq, at, event }` for the stored `at`: `{"at":<at>,"event":{`
 * (RFC 8785 sorts `at` < `event` < `seq`). Without building the expected string: an `at` as the log writes it (ISO
 * 8601) needs no JSON escaping, and any other `at` column fails here and goes to the slow path.
 */
export function framedAt(canonical: string, at: string): boolean {
  return canonical.startsWith('{"at":"') && canonical.startsWith(at, 7) && canonical.startsWith('","event":{', 7 + at.length) && !at.includes('"') && !at.includes('\\');
}

/** Whether `canonical` ends as the log writes entry `seq`: `,"seq":<seq>}`. */
export function framedSeq(canonical: string, seq: number): boolean {
  return canonical.endsWith(`,"seq":${seq}}`);
}
