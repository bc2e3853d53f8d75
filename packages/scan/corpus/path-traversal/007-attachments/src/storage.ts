import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '/var/lib/helpdesk/attachments';

export function readAttachment(ticketId: string, name: string): Promise<Buffer> {
  return readFile(join(ROOT, ticketId, name));
}
