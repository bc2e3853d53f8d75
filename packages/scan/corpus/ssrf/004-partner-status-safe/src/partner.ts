import axios from 'axios';
import type { Context } from 'koa';

export async function partnerStatus(ctx: Context) {
  const id = encodeURIComponent(String(ctx.query.shipmentId));
  const { data } = await axios.get(`https://api.partner.example/v2/shipments/${id}/status`, { timeout: 3000 });
  ctx.body = data;
}
