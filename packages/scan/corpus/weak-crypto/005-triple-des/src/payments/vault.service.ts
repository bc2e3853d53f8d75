import { Injectable } from '@nestjs/common';
import { createCipheriv, randomBytes } from 'node:crypto';

@Injectable()
export class VaultService {
  private readonly key = Buffer.from(process.env.VAULT_KEY ?? '', 'base64');

  seal(reference: string): string {
    const iv = randomBytes(8);
    const cipher = createCipheriv('des-ede3-cbc', this.key, iv);
    return iv.toString('hex') + cipher.update(reference, 'utf8', 'hex') + cipher.final('hex');
  }
}
