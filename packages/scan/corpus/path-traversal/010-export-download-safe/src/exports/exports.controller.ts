import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';

@Controller('exports')
export class ExportsController {
  private readonly dir = '/srv/exports';

  @Get('download')
  download(@Query('file') file: string) {
    const target = join(this.dir, basename(file));
    return new StreamableFile(createReadStream(target));
  }
}
