import { Controller, Get, Headers, Injectable } from '@nestjs/common';
import { unserialize } from 'node-serialize';

@Injectable()
export class SessionService {
  read(header: string): { userId: string } {
    const text = Buffer.from(header, 'base64url').toString('utf8');
    return unserialize(text) as { userId: string };
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
