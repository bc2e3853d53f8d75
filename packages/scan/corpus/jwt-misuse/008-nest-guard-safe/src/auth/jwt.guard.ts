import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { verify } from 'jsonwebtoken';

@Injectable()
export class JwtGuard implements CanActivate {
  private readonly secret = process.env.JWT_SECRET ?? '';

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    const token = String(request.headers.authorization ?? '').replace('Bearer ', '');
    try {
      request.user = verify(token, this.secret, { algorithms: ['HS512'] });
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}
