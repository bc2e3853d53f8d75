import { NextRequest } from 'next/server';

const CDN_ORIGIN = 'https://cdn.example-shop.com';

export async function GET(request: NextRequest) {
  const src = request.nextUrl.searchParams.get('src') ?? '';
  const image = await fetch(src);
  return new Response(image.body, { headers: { 'content-type': 'image/png' } });
}
