import { Controller, Get, Header, Query } from '@nestjs/common';
import { MailService } from './mail.service';

@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(private readonly mail: MailService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  async unsubscribe(@Query('email') email: string) {
    await this.mail.unsubscribe(email);
    return `<p>${email} will no longer receive our newsletter.</p>`;
  }
}
