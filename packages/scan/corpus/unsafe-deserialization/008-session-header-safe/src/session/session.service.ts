import { Controller, Get, Headers, Injectable } from '@nestjs/common';

@Injectable()
export class SessionService {
  read(header: string): { userId: string } {
    const text = Buffer.from(header, 'base64url').toString('utf8');
    const parsed: unknown = JSON.parse(text);
    return { userId: String((parsed as { userId?: unknown }).userId ?? '') };
  }
}

@Controller('session')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  whoami(@Headers('x-session') session: string) {
    return this.sessions.read(session);
  }
}
