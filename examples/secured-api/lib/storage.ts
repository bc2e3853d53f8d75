/**
 * Customer uploads. Downloads go through `serveFile` (`@rampart/core/safe/path`): the name must stay inside the
 * uploads directory (no `..`, no absolute path, no encoded separators, no symbolic link out), and the file is sent as
 * an attachment of an allowlisted type. The size report runs `wc` through `@rampart/core/safe/exec`: no shell, an
 * allowlisted absolute program, and the name passed as one operand after `--`.
 */
import { createRunner, operand } from '@rampart/core/safe/exec';
import { safeJoin, serveFile, type ServedFile } from '@rampart/core/safe/path';
import { stat } from 'node:fs/promises';

/** What may be downloaded, by extension. Everything else is refused before the file system is touched. */
export const DOWNLOAD_TYPES = { '.txt': 'text/plain; charset=utf-8', '.pdf': 'application/pdf', '.csv': 'text/csv' } as const;

export interface Uploads {
  /** Opens an upload for download, or throws a `PathError`. */
  open(name: string): Promise<ServedFile>;
  /** `wc -c` of an upload, or throws a `PathError` (no such file) or an `ExecError`. */
  countBytes(name: string): Promise<string>;
}

/** The uploads in `root`. */
export function uploadsIn(root: string): Uploads {
  const runner = createRunner({ programs: ['wc'], cwd: root, timeoutMs: 5_000 });
  return {
    open(name) {
      return serveFile(root, name, { allowedTypes: DOWNLOAD_TYPES });
    },
    async countBytes(name) {
      const file = await stat(safeJoin(root, name));
      if (!file.isFile()) throw new Error('not a file');
      const { stdout } = await runner.run('wc', ['-c', '--', operand(name)]);
      return stdout;
    },
  };
}
