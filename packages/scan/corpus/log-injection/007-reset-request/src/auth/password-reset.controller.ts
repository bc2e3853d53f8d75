import { Body, Controller, Logger, Post } from '@nestjs/common';

@Controller('password-reset')
export class PasswordResetController {
  private readonly logger = new Logger(PasswordResetController.name);

  @Post()
  request(@Body('email') email: string) {
    const shown = email;
    this.logger.log(`Password reset requested for ${shown}`);
    return { accepted: true };
  }
}
