/**
 * Paired devices, kept in a document collection queried with MongoDB's query language (mingo). The filter is built by
 * `eqFilter` from `@rampart/core/safe/nosql`: the user name is compared as a string with `$eq`, so an object such as
 * `{"$ne": null}` is refused instead of becoming an operator. PINs are stored as Argon2id hashes and checked after the
 * lookup, never inside the query.
 */
import { find } from 'mingo';
import { eqFilter } from '@rampart/core/safe/nosql';

export interface Device {
  readonly username: string;
  readonly pinHash: string;
  readonly name: string;
}

/** The devices paired to `username` (a string: anything else is a `NoSqlInjectionError`). */
export function devicesOf(devices: readonly Device[], username: unknown): Device[] {
  const filter = eqFilter({ username }, { username: 'string' });
  return find<Device>([...devices], filter).all();
}
