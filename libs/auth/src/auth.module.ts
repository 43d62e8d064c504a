import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AUTH_OPTIONS, AuthOptions } from './auth-options';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthenticationGuard, authenticationGuardClass } from './guards/authentication.guard';
import { RolesGuard } from './guards/roles.guard';
import { PasswordHasher } from './password-hasher';
import { jwtStrategyClass } from './strategies/jwt.strategy';
import { strategyOrder, uniqueStrategyNames } from './strategies/strategy-names';
import { RefreshToken } from './tokens/refresh-token.entity';
import { RefreshTokenRepository } from './tokens/refresh-token.repository';
import { TokenService } from './tokens/token.service';
import { Organization } from './users/organization.entity';
import { User } from './users/user.entity';
import { UserRepository } from './users/user.repository';
import { UserDirectoryRepository } from './users/user-directory.repository';
import { OneTimeTokenService } from './tokens/one-time-token.service';
import { UserToken } from './tokens/user-token.entity';
import { OrganizationSettings } from './settings/organization-settings.entity';
import { OrganizationSettingsRepository } from './settings/organization-settings.repository';
import { OrganizationSettingsController } from './settings/organization-settings.controller';
import { OrganizationSettingsService } from './settings/organization-settings.service';
import { PasswordExpiryService } from './passwords/password-expiry.service';
import { PasswordsController } from './passwords/passwords.controller';
import { PasswordsRepository } from './passwords/passwords.repository';
import { PasswordsService } from './passwords/passwords.service';

@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    const names = uniqueStrategyNames();
    const JwtStrategy = jwtStrategyClass(names.jwt);
    return {
      module: AuthModule,
      // Global: feature libraries (users and invitations, ...) use its services without importing
      // it again, which would build a second instance with strategies of its own.
      global: true,
      imports: [TypeOrmModule.forFeature([Organization, User, RefreshToken, UserToken, OrganizationSettings])],
      controllers: [AuthController, OrganizationSettingsController, PasswordsController],
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        // Built here, not injected anywhere: constructing it registers it with passport.
        { provide: JwtStrategy, useFactory: (users: UserRepository) => new JwtStrategy(options, users), inject: [UserRepository] },
        { provide: AuthenticationGuard, useClass: authenticationGuardClass(strategyOrder(names)) },
        AuthService,
        TokenService,
        PasswordHasher,
        UserRepository,
        RefreshTokenRepository,
        RolesGuard,
        OneTimeTokenService,
        OrganizationSettingsRepository,
        OrganizationSettingsService,
        PasswordsRepository,
        PasswordsService,
        PasswordExpiryService,
        UserDirectoryRepository,
      ],
      exports: [
        AuthenticationGuard,
        RolesGuard,
        TokenService,
        OneTimeTokenService,
        OrganizationSettingsRepository,
        UserRepository,
        PasswordHasher,
        RefreshTokenRepository,
        UserDirectoryRepository,
        AuthService,
      ],
    };
  }
}
