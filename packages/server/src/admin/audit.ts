import type { KeyObject } from 'node:crypto';
import { parseCanonicalEntry, verify, type AuditEventJson, type AuditLog, type AuditVerification, type InclusionProof } from '@rampart/core/audit';
import type { SignedTreeHead } from '@rampart/core/audit';

/** Most entries one page returns. */
export const MAX_EVENTS_PAGE = 100;
/** Entries per page when `limit` is absent. */
export const DEFAULT_EVENTS_PAGE = 50;
/** Most rows one page reads while filtering by type: a page ends there even if it found fewer than `limit`. */
export const MAX_SCANNED = 1_000;
/** Most signed heads one answer lists (newest first). */
export const MAX_CHECKPOINTS = 100;
/** Proofs computed at once on this instance: each reads every leaf hash up to the checkpoint's size. */
const MAX_CONCURRENT_PROOFS = 2;

/** One entry as the administrator sees it: the stored (already redacted) event, or the fact that retention emptied it. */
export type EntryView =
  | { readonly seq: number; readonly at: string; readonly event: AuditEventJson }
  | { readonly seq: number; readonly at: string; readonly pruned: true; readonly prunedBy: number };

/** An RFC 9162 inclusion proof with everything needed to check it offline. */
export interface ProofView {
  /** The entry's stored RFC 8785 text: what the leaf hash commits to. */
  readonly canonical: string;
  readonly proof: InclusionProof;
  readonly checkpoint: SignedTreeHead;
}

/** What `verify` found, for the answer and the event. */
export type VerifyView = AuditVerification & { readonly instanceId: string };

/** Outcome of {@link AuditAdmin.proof}. */
export type ProofOutcome = { readonly kind: 'ok'; readonly value: ProofView } | { readonly kind: 'not_found' } | { readonly kind: 'not_checkpointed' } | { readonly kind: 'busy' };

/**
 * Read access to this instance's audit trail (`RampartServer.audit`) and its verification. Protects the server from
 * being worn down through its audit routes: every read is bounded (page size, rows scanned, heads listed, proofs at
 * once) and a verification — a walk over the whole trail — runs at most once at a time.
 */
export class AuditAdmin {
  readonly #log: AuditLog;
  readonly #publicKeys: readonly KeyObject[];
  readonly #instanceId: string;
  #verifying = false;
  #proofs = 0;

  constructor(log: AuditLog, publicKeys: readonly KeyObject[], instanceId: string) {
    this.#log = log;
    this.#publicKeys = publicKeys;
    this.#instanceId = instanceId;
  }

  get instanceId(): string {
    return this.#instanceId;
  }

  /**
   * Entries with `seq > after` in seq order, at most `limit`, optionally only of `type`; reads at most
   * {@link MAX_SCANNED} rows. `next` is the `after` of the following page (`null` at the committed end of the trail).
   */
  async events(options: { readonly after: number; readonly limit: number; readonly type?: string }): Promise<{ entries: EntryView[]; next: number | null; size: number }> {
    const store = this.#log.store;
    const size = this.#log.size;
    const entries: EntryView[] = [];
    let seq = options.after + 1;
    let scanned = 0;
    while (seq < size && entries.length < options.limit && scanned < MAX_SCANNED) {
      const row = await store.row(seq);
      scanned += 1;
      if (row !== undefined) {
        if (row.prunedBy !== undefined) {
          if (options.type === undefined) entries.push({ seq: row.seq, at: row.at, pruned: true, prunedBy: row.prunedBy });
        } else {
          const entry = parseCanonicalEntry(row.canonical);
          if (options.type === undefined || entry.event.type === options.type) entries.push({ seq: entry.seq, at: entry.at, event: entry.event });
        }
      }
      seq += 1;
    }
    return { entries, next: seq < size ? seq - 1 : null, size };
  }

  /** The newest signed heads (at most `limit`), newest first. */
  async checkpoints(limit: number): Promise<SignedTreeHead[]> {
    const all = await this.#log.store.checkpoints();
    return all.slice(-limit).reverse();
  }

  /** The inclusion proof of entry `seq` against the newest signed head. */
  async proof(seq: number): Promise<ProofOutcome> {
    if (this.#proofs >= MAX_CONCURRENT_PROOFS) return { kind: 'busy' };
    this.#proofs += 1;
    try {
      if (seq >= this.#log.size) return { kind: 'not_found' };
      const row = await this.#log.store.row(seq);
      if (row === undefined || row.prunedBy !== undefined) return { kind: 'not_found' };
      const head = (await this.#log.store.checkpoints()).at(-1);
      if (head === undefined || seq >= head.treeSize) return { kind: 'not_checkpointed' };
      const proof = await this.#log.inclusionProof(seq, head.treeSize);
      return { kind: 'ok', value: { canonical: row.canonical, proof, checkpoint: head } };
    } finally {
      this.#proofs -= 1;
    }
  }

  /** Runs core's `verify` over this instance's trail; `undefined` when one is already running. */
  async verify(): Promise<VerifyView | undefined> {
    if (this.#verifying) return undefined;
    this.#verifying = true;
    try {
      const result = await verify(this.#log, { publicKey: this.#publicKeys });
      return { ...result, instanceId: this.#instanceId };
    } finally {
      this.#verifying = false;
    }
  }
}
