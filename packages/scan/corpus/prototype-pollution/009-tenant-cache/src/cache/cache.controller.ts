import { Body, Controller, Param, Put } from '@nestjs/common';

@Controller('cache')
export class CacheController {
  private readonly entries: Record<string, Record<string, unknown>> = {};

  @Put(':tenant/:key')
  put(@Param('tenant') tenant: string, @Param('key') key: string, @Body() value: unknown) {
    this.entries[tenant] ??= {};
    this.entries[tenant][key] = value;
    return { stored: true };
  }
}
