import { exec, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(exec);
const runFile = promisify(execFile);

export async function POST(request: Request) {
  const { repoUrl } = (await request.json()) as { repoUrl: string };
  const target = `/tmp/imports/${randomUUID()}`;
  await runFile('git', ['clone', '--depth', '1', '--', repoUrl, target]);
  return Response.json({ target });
}
