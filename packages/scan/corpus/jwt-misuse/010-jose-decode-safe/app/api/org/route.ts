import { createRemoteJWKSet, jwtVerify } from 'jose';
import { NextRequest, NextResponse } from 'next/server';
import { orgSummary } from '../../../lib/orgs';

const JWKS = createRemoteJWKSet(new URL('https://id.example.com/.well-known/jwks.json'));

export async function GET(request: NextRequest) {
  const token = request.cookies.get('id_token')?.value ?? '';
  const { payload: claims } = await jwtVerify(token, JWKS, { algorithms: ['RS256'], issuer: 'https://id.example.com' });
  return NextResponse.json(await orgSummary(String(claims.org_id)));
}
