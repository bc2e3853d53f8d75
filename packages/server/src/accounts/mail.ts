import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { Clock } from '@rampart/core';
import type { Kysely, Transaction } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';

/** The mails this module sends. */
export type MailKind = 'verify_email' | 'account_exists' | 'password_reset' | 'password_changed';

/** One mail as handed to a {@link MailSender}. `text` may hold a one-time link: treat it as a secret. */
export interface OutgoingMail {
  readonly id: string;
  readonly kind: MailKind;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** The transport (SMTP, an e-mail API). Rejects when the mail was not accepted; the outbox tries again. */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}

/** Options for {@link logMailSender}. */
export interface LogMailSenderOptions {
  /**
   * In production the line names the kind and the mail id only: the body carries a one-time link, and log
   * pipelines are read by more people than the mailbox's owner. Default `true` (redacted).
   */
  readonly production?: boolean;
}

/**
 * A development transport that writes each mail to `write` (the console, a test's array). Protects against one-time
 * links in production logs: with `production` (the default) the recipient, subject and body are left out.
 */
export function logMailSender(write: (line: string) => void, options: LogMailSenderOptions = {}): MailSender {
  const production = options.production ?? true;
  return {
    send(mail) {
      write(production ? `mail ${mail.kind} ${mail.id} (content withheld in production)` : `mail ${mail.kind} ${mail.id} to ${mail.to}: ${mail.subject}\n${mail.text}`);
      return Promise.resolve();
    },
  };
}

/** A mail to commit with the change that caused it. */
/**
 * A development mailbox: each mail appended as one JSON line to `path`, created with mode 0600 (inside the
 * owner-only data directory). For development only — the lines hold one-time links — and the server uses it only
 * outside production, so a newcomer can follow a verification link without a mail server, while the links never go
 * through the (redacting) log pipeline.
 */
export function fileMailSender(path: string): MailSender {
  return {
    async send(mail) {
      await appendFile(path, `${JSON.stringify({ id: mail.id, kind: mail.kind, to: mail.to, subject: mail.subject, text: mail.text })}\n`, { mode: 0o600 });
    },
  };
}

export interface QueuedMail {
  readonly kind: MailKind;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Deliveries tried before a mail is given up (`failed`); its body is erased then too. */
const MAX_ATTEMPTS = 5;
const BATCH = 50;

/** Counters of one {@link MailOutbox.deliverPending} run. */
export interface DeliveryReport {
  readonly sent: number;
  readonly failed: number;
}

/**
 * The mail outbox: mails are rows written in the same transaction as the account change, delivered afterwards.
 *
 * Protects against account enumeration through response time (the transport's latency is never inside a request)
 * and against lost or phantom mails (a rolled-back change mails nothing; a committed one is delivered even if the
 * transport was down). A mail's body, which holds a one-time link, is erased once it is sent or given up. Several
 * processes may deliver from one table: each row is claimed by a conditional UPDATE before it is sent.
 */
export class MailOutbox {
  readonly #db: Kysely<RampartDatabase>;
  readonly #sender: MailSender;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(db: Kysely<RampartDatabase>, sender: MailSender, clock: Clock, onError: (error: unknown) => void) {
    this.#db = db;
    this.#sender = sender;
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Adds a mail inside `trx`; it is sent only if the transaction commits. */
  async enqueue(trx: Transaction<RampartDatabase>, mail: QueuedMail): Promise<void> {
    await trx
      .insertInto('rampart_mail_outbox')
      .values({ id: randomUUID(), kind: mail.kind, recipient: mail.to, subject: mail.subject, body: mail.text, status: 'pending', created_at: this.#now(), sent_at: null })
      .execute();
  }

  /**
   * Writes a row that is never delivered (`suppressed`, no recipient, no body): the request that found no account
   * does the same database work as the one that did, so neither its latency nor its load tells them apart.
   */
  async enqueueSuppressed(trx: Transaction<RampartDatabase>, kind: MailKind): Promise<void> {
    await trx
      .insertInto('rampart_mail_outbox')
      .values({ id: randomUUID(), kind, recipient: '', subject: '', body: '', status: 'suppressed', created_at: this.#now(), sent_at: null })
      .execute();
  }

  /** Starts a delivery run in the background (coalesced); failures go to `onError`, never to the caller. */
  kick(): void {
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.deliverPending();
        } catch (error) {
          this.#onError(error);
        }
      } while (this.#kickedMeanwhile());
    })().finally(() => {
      this.#running = undefined;
    });
  }

  /** Resolves when no background run is in progress. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Delivers pending mails, oldest first, until none is left or a batch sent nothing. */
  async deliverPending(): Promise<DeliveryReport> {
    let sent = 0;
    let failed = 0;
    for (;;) {
      const rows = await this.#db
        .selectFrom('rampart_mail_outbox')
        .select(['id', 'kind', 'recipient', 'subject', 'body', 'attempts'])
        .where('status', '=', 'pending')
        .orderBy('created_at')
        .limit(BATCH)
        .execute();
      if (rows.length === 0) return { sent, failed };
      let progressed = false;
      for (const row of rows) {
        const claimed = await this.#db
          .updateTable('rampart_mail_outbox')
          .set({ status: 'sending', attempts: row.attempts + 1 })
          .where('id', '=', row.id)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        if (claimed.numUpdatedRows === 0n) continue; // another process has it
        try {
          await this.#sender.send({ id: row.id, kind: row.kind as MailKind, to: row.recipient, subject: row.subject, text: row.body });
          await this.#db.updateTable('rampart_mail_outbox').set({ status: 'sent', body: '', sent_at: this.#now() }).where('id', '=', row.id).execute();
          sent += 1;
          progressed = true;
        } catch (error) {
          const givenUp = row.attempts + 1 >= MAX_ATTEMPTS;
          await this.#db
            .updateTable('rampart_mail_outbox')
            .set(givenUp ? { status: 'failed', body: '' } : { status: 'pending' })
            .where('id', '=', row.id)
            .execute();
          failed += 1;
          this.#onError(error);
        }
      }
      // A transport that refuses everything must not spin: the next kick tries again.
      if (!progressed) return { sent, failed };
    }
  }

  /** Read through a method: `kick` sets the flag while a run awaits, which flow analysis cannot see. */
  #kickedMeanwhile(): boolean {
    return this.#again;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}
