import { NextRequest, NextResponse } from 'next/server';
import { prisma } from '@/lib/prisma';

export async function GET(request: NextRequest) {
  const name = request.nextUrl.searchParams.get('name') ?? '';
  const customers = await prisma.$queryRawUnsafe(`SELECT id, name, city FROM "Customer" WHERE name ILIKE '%${name}%'`);
  return NextResponse.json(customers);
}
