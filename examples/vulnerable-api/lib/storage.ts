/**
 * Customer uploads. DELIBERATELY INSECURE:
 * - `readUpload` joins the requested name onto the uploads directory without checking where it lands (CWE-22):
 *   `../secret.txt` reads outside it;
 * - `countBytes` runs a shell command line with the name in it (CWE-78): `x; touch /tmp/pwned` runs `touch`.
 */
import { exec } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The contents of an uploaded file. */
export function readUpload(uploadsDir: string, name: string): Promise<Buffer> {
  return readFile(path.join(uploadsDir, name));
}

/** The size of an uploaded file, as `wc -c` reports it. */
export function countBytes(uploadsDir: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    exec(`wc -c ${name}`, { cwd: uploadsDir, timeout: 5_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}
