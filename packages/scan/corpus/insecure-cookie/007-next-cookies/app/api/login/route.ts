import { cookies } from 'next/headers';
import { signIn } from '../../../lib/auth';

export async function POST(request: Request) {
  const session = await signIn(await request.formData());
  const jar = await cookies();
  jar.set('auth', session.token, { httpOnly: false, path: '/' });
  return Response.json({ ok: true });
}
