import { decodeJwt } from 'jose';
import { NextRequest, NextResponse } from 'next/server';
import { orgSummary } from '../../../lib/orgs';

export async function GET(request: NextRequest) {
  const token = request.cookies.get('id_token')?.value ?? '';
  const claims = decodeJwt(token);
  return NextResponse.json(await orgSummary(String(claims.org_id)));
}
