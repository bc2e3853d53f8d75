import { Body, Controller, Param, Patch } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './user.entity';

@Controller('users')
export class UsersController {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  @Patch(':id')
  async update(@Param('id') id: string, @Body() body: Partial<User>) {
    return this.users.save({ ...body, id });
  }
}
