import { readFile } from 'node:fs/promises';
import path from 'node:path';

export async function GET(_request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const markdown = await readFile(path.join(process.cwd(), 'content', `${slug}.md`), 'utf8');
  return Response.json({ slug, markdown });
}
