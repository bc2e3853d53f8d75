import { Controller, Get, Header, Query } from '@nestjs/common';
import { encodeHtml } from '@rampart/core/safe/encode';
import { MailService } from './mail.service';

@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(private readonly mail: MailService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  async unsubscribe(@Query('email') email: string) {
    await this.mail.unsubscribe(email);
    return `<p>${encodeHtml(email)} will no longer receive our newsletter.</p>`;
  }
}
