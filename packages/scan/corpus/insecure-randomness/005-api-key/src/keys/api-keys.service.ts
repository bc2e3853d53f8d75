import { Injectable } from '@nestjs/common';

@Injectable()
export class ApiKeysService {
  mint(prefix: string): string {
    const secret = Array.from({ length: 4 }, () => Math.random().toString(16).slice(2, 10)).join('');
    return `${prefix}_${secret}`;
  }
}
