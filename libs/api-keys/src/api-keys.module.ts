import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_KEY_LOOKUP } from '@app/auth';
import { ApiKey } from './api-key.entity';
import { ApiKeyLookupAdapter } from './api-key-lookup.adapter';
import { ApiKeyRemovalHook } from './api-key-removal.hook';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

/**
 * API keys (§15). Global, because it binds the port that AuthModule's API-key strategy looks keys
 * up through (API_KEY_LOOKUP): libs/auth never imports this library. Exports the hook that the
 * users module runs when a user is deactivated (UsersModule.forRoot({ removalHooks })).
 * Needs AuthModule (users table), AuditModule and the transaction host, all registered by the app.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ApiKey])],
  controllers: [ApiKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyLookupAdapter,
    { provide: API_KEY_LOOKUP, useExisting: ApiKeyLookupAdapter },
    ApiKeyRemovalHook,
  ],
  exports: [API_KEY_LOOKUP, ApiKeyRemovalHook],
})
export class ApiKeysModule {}
