import { Injectable } from '@nestjs/common';
import { pbkdf2Sync, randomBytes } from 'node:crypto';

@Injectable()
export class PasswordService {
  hash(password: string): string {
    const salt = randomBytes(16);
    const derived = pbkdf2Sync(password, salt, 1000, 32, 'sha1');
    return `${salt.toString('base64')}.${derived.toString('base64')}`;
  }
}
