import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AUTH_OPTIONS, AuthOptions } from './auth-options';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthenticationGuard, authenticationGuardClass } from './guards/authentication.guard';
import { RolesGuard } from './guards/roles.guard';
import { PasswordHasher } from './password-hasher';
import { jwtStrategyClass } from './strategies/jwt.strategy';
import { apiKeyStrategyClass } from './strategies/api-key.strategy';
import { API_KEY_LOOKUP, ApiKeyLookup } from './api-keys/api-key-lookup.port';
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
import { MfaSetupGuard } from './guards/mfa-setup.guard';
import { MfaRecoveryCode } from './mfa/mfa-recovery-code.entity';
import { MfaChallengeService } from './mfa/mfa-challenge.service';
import { MfaCodeVerifier } from './mfa/mfa-code.verifier';
import { MfaLoginService } from './mfa/mfa-login.service';
import { MFA_SECRET_SEALER } from './mfa/mfa-secret-sealer.port';
import { MfaController } from './mfa/mfa.controller';
import { MfaRepository } from './mfa/mfa.repository';
import { MfaService } from './mfa/mfa.service';
import { TotpService } from './mfa/totp.service';
import { UserMfa } from './mfa/user-mfa.entity';

@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    const names = uniqueStrategyNames();
    const JwtStrategy = jwtStrategyClass(names.jwt);
    const ApiKeyStrategy = apiKeyStrategyClass(names.apiKey);
    return {
      module: AuthModule,
      // Global: feature libraries (users and invitations, ...) use its services without importing
      // it again, which would build a second instance with strategies of its own.
      global: true,
      imports: [
        TypeOrmModule.forFeature([Organization, User, RefreshToken, UserToken, OrganizationSettings, UserMfa, MfaRecoveryCode]),
        ...(options.mfaSecretSealer.imports ?? []),
      ],
      controllers: [AuthController, OrganizationSettingsController, PasswordsController, MfaController],
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        // Built here, not injected anywhere: constructing it registers it with passport.
        { provide: JwtStrategy, useFactory: (users: UserRepository) => new JwtStrategy(options, users), inject: [UserRepository] },
        // The lookup is bound by the api-keys library (a global provider); without it, no key passes.
        {
          provide: ApiKeyStrategy,
          useFactory: (lookup?: ApiKeyLookup) => new ApiKeyStrategy(lookup),
          inject: [{ token: API_KEY_LOOKUP, optional: true }],
        },
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
        { provide: MFA_SECRET_SEALER, useClass: options.mfaSecretSealer.useClass },
        TotpService,
        MfaRepository,
        MfaCodeVerifier,
        MfaService,
        MfaChallengeService,
        MfaLoginService,
        MfaSetupGuard,
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
        MfaService,
        MfaSetupGuard,
      ],
    };
  }
}
