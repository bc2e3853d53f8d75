/**
 * Paired devices (the mobile app logs in with a user name and a 4-digit PIN), kept in a document collection queried
 * with MongoDB's query language (mingo, an in-memory MongoDB query engine). DELIBERATELY INSECURE: `findDevice`
 * puts the caller's values into the filter as they are, so an object such as `{"$ne": null}` is an operator
 * (CWE-943): `{"username": "admin", "pin": {"$ne": null}}` matches the admin's device without the PIN.
 */
import { find } from 'mingo';

export interface Device {
  readonly username: string;
  readonly pin: string;
  readonly name: string;
}

export const DEVICES: readonly Device[] = [
  { username: 'admin', pin: '9137', name: 'Admin tablet' },
  { username: 'alice', pin: '2580', name: "Alice's phone" },
];

/** The device registered for `username` with `pin`, if any. */
export function findDevice(username: unknown, pin: unknown): Device | undefined {
  return find([...DEVICES], { username, pin }).all()[0] as Device | undefined;
}
