import { NextRequest, NextResponse } from 'next/server';
import { evaluate } from '../../../lib/calc';

export function GET(request: NextRequest) {
  const expression = request.nextUrl.searchParams.get('q') ?? '0';
  return NextResponse.json({ result: evaluate(expression) });
}
