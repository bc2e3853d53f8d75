import { Controller, Get, Query } from '@nestjs/common';
import { GroupsService } from './groups.service';

@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get('members')
  members(@Query('group') group: string) {
    return this.groups.members(group);
  }
}
