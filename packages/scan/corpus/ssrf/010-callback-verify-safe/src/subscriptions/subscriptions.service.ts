import { BadRequestException, Body, Controller, Injectable, Post } from '@nestjs/common';

const CALLBACK_HOSTS = ['hooks.slack.com', 'hooks.zapier.com'];

@Injectable()
export class SubscriptionsService {
  async verify(callbackUrl: string): Promise<boolean> {
    const url = new URL(callbackUrl);
    if (url.protocol !== 'https:' || !CALLBACK_HOSTS.includes(url.hostname)) throw new BadRequestException('callback host not allowed');
    const response = await fetch(url, { method: 'POST', body: JSON.stringify({ challenge: 'ping' }) });
    return response.ok;
  }
}

@Controller('subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  create(@Body('callbackUrl') callbackUrl: string) {
    return this.subscriptions.verify(callbackUrl);
  }
}
