import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeJoin } from '@rampart/core/safe/path';

const ROOT = '/var/lib/helpdesk/attachments';

export function readAttachment(ticketId: string, name: string): Promise<Buffer> {
  return readFile(safeJoin(ROOT, join(ticketId, name)));
}
