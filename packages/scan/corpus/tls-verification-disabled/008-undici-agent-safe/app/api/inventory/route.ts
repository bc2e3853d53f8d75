import { Agent, fetch } from 'undici';
import { readFileSync } from 'node:fs';

const dispatcher = new Agent({ connect: { ca: readFileSync(process.env.INVENTORY_CA_PATH ?? '/etc/ssl/inventory-ca.pem') } });

export async function GET() {
  const response = await fetch('https://inventory.internal/v1/stock', { dispatcher });
  return Response.json(await response.json());
}
