import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { AuditEvent } from './audit.schema';

@Injectable()
export class AuditService {
  constructor(@InjectModel('AuditEvent') private readonly events: Model<AuditEvent>) {}

  search(filter: Record<string, unknown>) {
    const query = { actor: String(filter.actor ?? ''), action: String(filter.action ?? '') };
    return this.events.find(query).sort({ at: -1 }).limit(200).exec();
  }
}
