import { Controller, Param, Post } from '@nestjs/common';
import { exec, execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execAsync = promisify(exec);
const execFileAsync = promisify(execFile);

@Controller('backups')
export class BackupsController {
  @Post(':name')
  async create(@Param('name') name: string) {
    await this.archive(name);
    return { archived: name };
  }

  private async archive(name: string) {
    await execAsync(`tar czf /backups/${name}.tgz /var/lib/app/data`);
  }
}
