import { Body, Controller, Post } from '@nestjs/common';
import { AuditService } from './audit.service';

@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Post('search')
  search(@Body() body: { filter: Record<string, unknown> }) {
    return this.audit.search(body.filter);
  }
}
