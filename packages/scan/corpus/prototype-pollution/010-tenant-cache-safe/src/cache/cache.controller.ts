import { Body, Controller, Param, Put } from '@nestjs/common';

@Controller('cache')
export class CacheController {
  private readonly entries = new Map<string, Map<string, unknown>>();

  @Put(':tenant/:key')
  put(@Param('tenant') tenant: string, @Param('key') key: string, @Body() value: unknown) {
    const bucket = this.entries.get(tenant) ?? new Map<string, unknown>();
    bucket.set(key, value);
    this.entries.set(tenant, bucket);
    return { stored: true };
  }
}
