import { BadRequestException, Body, Controller, Injectable, Post } from '@nestjs/common';

@Injectable()
export class InvitesService {
  invite(email: string) {
    if (!/^[\w.-]{1,64}@corp\.example$/.test(email)) throw new BadRequestException('corporate address required');
    return { invited: email };
  }
}

@Controller('invites')
export class InvitesController {
  constructor(private readonly invites: InvitesService) {}

  @Post()
  create(@Body('email') email: string) {
    return this.invites.invite(email);
  }
}
