import { NextResponse } from 'next/server';
import clientPromise from '@/lib/mongodb';

export async function DELETE(request: Request) {
  const body = await request.json();
  const db = (await clientPromise).db('shop');
  const result = await db.collection('carts').deleteMany({ cartId: String(body.cartId) });
  return NextResponse.json({ deleted: result.deletedCount });
}
