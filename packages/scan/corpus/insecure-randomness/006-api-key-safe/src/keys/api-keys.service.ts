import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

@Injectable()
export class ApiKeysService {
  mint(prefix: string): string {
    const secret = randomBytes(16).toString('hex');
    return `${prefix}_${secret}`;
  }
}
