import { Injectable } from '@nestjs/common';
import { pbkdf2Sync, randomBytes } from 'node:crypto';

@Injectable()
export class PasswordService {
  hash(password: string): string {
    const salt = randomBytes(16);
    const derived = pbkdf2Sync(password, salt, 600_000, 32, 'sha256');
    return `${salt.toString('base64')}.${derived.toString('base64')}`;
  }
}
