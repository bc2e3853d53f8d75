import { NextRequest, NextResponse } from 'next/server';
import { completeSignIn } from '../../../lib/sso';

export async function GET(request: NextRequest) {
  await completeSignIn(request);
  const redirectTo = request.nextUrl.searchParams.get('redirect_to') ?? '/';
  const local = redirectTo.startsWith('/') && !redirectTo.startsWith('//') && !redirectTo.startsWith('/\\') ? redirectTo : '/';
  return NextResponse.redirect(new URL(local, request.url));
}
