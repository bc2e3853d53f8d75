/**
 * The application log: one line per event in `<dataDir>/app.log`. Every value from a request goes through
 * `sanitizeLogText` (`@rampart/core/safe/log`), which escapes CR, LF and other controls, so one event is one line and
 * a user name cannot forge a second entry (CWE-117).
 */
import { appendFile } from 'node:fs/promises';
import { sanitizeLogText } from '@rampart/core/safe/log';

/** Appends `event` with its fields (`key=value`, values sanitized) to the log file. */
export async function writeLog(file: string, event: string, fields: Readonly<Record<string, string>> = {}): Promise<void> {
  const details = Object.entries(fields)
    .map(([key, value]) => `${key}=${sanitizeLogText(value, { maxLength: 200 })}`)
    .join(' ');
  await appendFile(file, `${new Date().toISOString()} ${event} ${details}\n`);
}
