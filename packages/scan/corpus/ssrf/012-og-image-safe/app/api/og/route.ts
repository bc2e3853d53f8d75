import { NextRequest } from 'next/server';

const CDN_ORIGIN = 'https://cdn.example-shop.com';

export async function GET(request: NextRequest) {
  const src = request.nextUrl.searchParams.get('src') ?? '';
  const url = new URL(src, CDN_ORIGIN);
  if (url.origin !== CDN_ORIGIN) return new Response('bad src', { status: 400 });
  const image = await fetch(url);
  return new Response(image.body, { headers: { 'content-type': 'image/png' } });
}
