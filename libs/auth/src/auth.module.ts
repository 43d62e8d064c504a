import { DynamicModule, Module } from '@nestjs/common';
import { AUTH_OPTIONS, AuthOptions } from './auth-options';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AccessTokenGuard } from './guards/access-token.guard';
import { AccessTokenVerifier } from './guards/access-token.verifier';
import { RolesGuard } from './guards/roles.guard';
import { PasswordHasher } from './password-hasher';
import { RefreshTokenRepository } from './tokens/refresh-token.repository';
import { TokenService } from './tokens/token.service';
import { UserRepository } from './users/user.repository';

@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      controllers: [AuthController],
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        AuthService,
        TokenService,
        PasswordHasher,
        UserRepository,
        RefreshTokenRepository,
        AccessTokenVerifier,
        AccessTokenGuard,
        RolesGuard,
      ],
      exports: [AccessTokenGuard, RolesGuard, TokenService],
    };
  }
}
