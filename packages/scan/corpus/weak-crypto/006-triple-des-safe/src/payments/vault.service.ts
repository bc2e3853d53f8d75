import { Injectable } from '@nestjs/common';
import { createCipheriv, randomBytes } from 'node:crypto';

@Injectable()
export class VaultService {
  private readonly key = Buffer.from(process.env.VAULT_KEY ?? '', 'base64');

  seal(reference: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = cipher.update(reference, 'utf8', 'hex') + cipher.final('hex');
    return iv.toString('hex') + cipher.getAuthTag().toString('hex') + body;
  }
}
