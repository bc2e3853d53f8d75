import { NextRequest } from 'next/server';

export function GET(request: NextRequest) {
  const title = request.nextUrl.searchParams.get('title') ?? 'Status';
  const body = `<!doctype html><div class="widget"><h3>${title}</h3><iframe src="/status"></iframe></div>`;
  return new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}
