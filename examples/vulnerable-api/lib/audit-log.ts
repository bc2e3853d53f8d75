/**
 * The application log: one line per event in `<dataDir>/app.log`. DELIBERATELY INSECURE (CWE-117): the message is
 * written as it is, so a user name containing a line break writes a second, forged entry.
 */
import { appendFileSync } from 'node:fs';

/** Appends one entry to the log file. */
export function writeLog(file: string, message: string): void {
  appendFileSync(file, `${new Date().toISOString()} ${message}\n`);
}
