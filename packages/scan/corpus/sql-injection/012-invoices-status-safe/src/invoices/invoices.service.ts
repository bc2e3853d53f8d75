import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class InvoicesService {
  constructor(private readonly dataSource: DataSource) {}

  async findByStatus(status: string) {
    return this.dataSource.query('SELECT * FROM invoices WHERE status = $1 ORDER BY due_date', [status]);
  }
}
