import { Body, Controller, Logger, Post } from '@nestjs/common';

@Controller('password-reset')
export class PasswordResetController {
  private readonly logger = new Logger(PasswordResetController.name);

  @Post()
  request(@Body('email') email: string) {
    const shown = String(email).replace(/[\u0000-\u001f\u007f]/g, '');
    this.logger.log(`Password reset requested for ${shown}`);
    return { accepted: true };
  }
}
