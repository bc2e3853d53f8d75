import { Agent, fetch } from 'undici';

const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });

export async function GET() {
  const response = await fetch('https://inventory.internal/v1/stock', { dispatcher });
  return Response.json(await response.json());
}
