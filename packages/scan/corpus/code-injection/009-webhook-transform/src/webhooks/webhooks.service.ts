import { BadRequestException, Body, Controller, Injectable, Post } from '@nestjs/common';
import vm from 'node:vm';

type Payload = Record<string, unknown>;
const TRANSFORMS: Record<string, (p: Payload) => Payload> = {
  identity: (p) => p,
  slack: (p) => ({ text: String(p.summary ?? '') }),
};

@Injectable()
export class WebhooksService {
  transform(script: string, payload: Payload): Payload {
    return new vm.Script(script).runInNewContext({ payload }) as Payload;
  }
}

@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly service: WebhooksService) {}

  @Post('preview')
  preview(@Body() body: { transform: string; payload: Payload }) {
    return this.service.transform(body.transform, body.payload);
  }
}
