import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { AllExceptionsFilter, AppValidationPipe, isBackgroundLane, RequestContextGuard, RequestContextModule } from '@app/common';
import { buildDataSourceOptions } from '@app/database';
import { AuthenticationGuard, AuthModule, MfaSetupGuard, RolesGuard } from '@app/auth';
import { AuditModule } from '@app/audit';
import { ResourcesModule } from '@app/resources';
import { ProvidersModule } from '@app/providers';
import { JobsModule } from '@app/jobs';
import { MailModule } from '@app/mail';
import { RolesModule, UsersModule } from '@app/users';
import { ApiKeyRemovalHook, ApiKeysModule } from '@app/api-keys';
import { AccessModule, EngineResourceUsage, SessionRemovalHook } from '@app/access';
import { SessionsModule } from '@app/sessions';
import { StaticIpRulesModule } from '@app/static-ip-rules';
import { CredentialAccessAdapter } from './credentials/credential-access.adapter';
import { CredentialsModule } from './credentials/credentials.module';
import { mailModuleOptions } from './mail/mail-module.options';
import { MfaSecretSealerAdapter } from './mfa/mfa-secret-sealer.adapter';
import { ENTITIES } from './entities';
import { AppConfig } from './config/app-config';
import { APP_CONFIG } from './config/app-config.token';
import { HealthController } from './health/health.controller';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';

/**
 * ClsModule.forRoot always registers a global guard and a global interceptor, which are no-ops
 * unless mounted (we mount neither). The no-op interceptor alone made Nest run its RxJS
 * interceptor chain (defer, mergeAll, lastValueFrom) on every request; without any interceptor,
 * Nest calls the handler directly. Leaves the module as it is if its shape is not the expected one.
 */
function withoutNoOpEnhancers(module: DynamicModule): DynamicModule {
  for (const imported of module.imports ?? []) {
    const root = imported as DynamicModule;
    if (root?.module?.name === 'ClsRootModule' && Array.isArray(root.providers)) {
      root.providers = root.providers.filter(
        (provider) =>
          !(
            typeof provider === 'object' &&
            'provide' in provider &&
            (provider.provide === APP_GUARD || provider.provide === APP_INTERCEPTOR)
          ),
      );
    }
  }
  return module;
}

/** Composition only: which modules, in which order, with which configuration. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const jobs = {
      jobsEnabled: config.jobs.enabled,
      verifyIntervalMinutes: config.jobs.verifyIntervalMinutes,
      pollSeconds: config.jobs.pollSeconds,
    };
    // One instance, imported by the app and bound into resources as its credential port.
    const credentials = CredentialsModule.forRoot({ ...jobs, encryptionKeys: config.credentialEncryptionKeys });
    // The engine: one instance, bound into resources (what holds a resource), users (removal ends sessions) and sessions.
    const access = AccessModule.forRoot({
      imports: [credentials],
      credentialAccess: CredentialAccessAdapter,
      settings: { jobsEnabled: config.jobs.enabled, pollSeconds: config.jobs.pollSeconds, ...config.engine },
    });
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(
          buildDataSourceOptions({
            databaseUrl: config.databaseUrl,
            dataDir: config.dataDir,
            // PostgreSQL is migrated before boot, as the owner role (migrate-as-owner.ts).
            migrationsRun: config.migrationsRun && !config.databaseUrl,
            poolSize: config.dbPoolSize,
            background: { poolSize: config.dbBackgroundPoolSize, inLane: isBackgroundLane },
            preparedStatements: config.dbPreparedStatements,
            entities: ENTITIES,
          }),
        ),
        withoutNoOpEnhancers(
          ClsModule.forRoot({
            global: true,
            // RequestContextModule opens each request's context in a Fastify hook (see there).
            middleware: { mount: false },
            guard: { mount: false },
            interceptor: { mount: false },
            plugins: [
              new ClsPluginTransactional({
                imports: [TypeOrmModule],
                adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
              }),
            ],
          }),
        ),
        RequestContextModule,
        JobsModule.forRoot({ enabled: config.jobs.enabled, pollSeconds: config.jobs.pollSeconds }),
        MailModule.forRoot(mailModuleOptions(config, credentials)),
        ProvidersModule.forRoot(config.providers),
        AuditModule,
        AuthModule.forRoot({
          jwtSecret: config.jwt.secret,
          accessTtlSeconds: config.jwt.accessTtlSeconds,
          refreshTtlSeconds: config.jwt.refreshTtlSeconds,
          mfaSecretSealer: { imports: [credentials], useClass: MfaSecretSealerAdapter },
        }),
        UsersModule.forRoot({ imports: [ApiKeysModule, access], removalHooks: [ApiKeyRemovalHook, SessionRemovalHook] }),
        RateLimitModule.forRoot(config),
        credentials,
        ResourcesModule.forRoot({
          imports: [credentials, access],
          credentialAccess: CredentialAccessAdapter,
          resourceUsage: EngineResourceUsage,
          settings: jobs,
        }),
        access,
        SessionsModule.forRoot({ imports: [access], settings: config.sessions }),
        StaticIpRulesModule.forRoot({ imports: [access] }),
        RolesModule,
        ApiKeysModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        // Order matters: the context first (it never refuses), then 401, then 403 (MFA setup, roles), then 429.
        { provide: APP_GUARD, useClass: RequestContextGuard },
        { provide: APP_GUARD, useExisting: AuthenticationGuard },
        // §11: a user who must set up MFA first reaches only the setup routes (403).
        { provide: APP_GUARD, useExisting: MfaSetupGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
