import { BadRequestException, Controller, Get, Headers } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const TENANT_SCHEMAS: Record<string, string> = { acme: 'tenant_acme', globex: 'tenant_globex' };

@Controller('reports')
export class ReportsController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('revenue')
  async revenue(@Headers('x-tenant') tenant: string) {
    const schema = tenant;
    if (!schema) throw new BadRequestException('unknown tenant');
    return this.dataSource.query(`SELECT month, sum(total) FROM ${schema}.invoices GROUP BY month`);
  }
}
