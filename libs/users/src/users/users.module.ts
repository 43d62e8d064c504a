import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';
import { USER_REMOVAL_HOOKS, UserRemovalHook } from './user-removal.port';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { UserMfaService } from './user-mfa.service';

export interface UsersModuleOptions {
  /** Modules that export the hook classes. */
  imports?: ModuleMetadata['imports'];
  /** Called, in order, inside the transaction that deletes or deactivates a user (see UserRemovalHook). */
  removalHooks?: Array<Type<UserRemovalHook>>;
}

/**
 * Users and invitations (§9). Needs AuthModule (global: users table, tokens, password hashing),
 * MailModule (global) and AuditModule (global), all registered by the app.
 */
@Module({})
export class UsersModule {
  static forRoot(options: UsersModuleOptions = {}): DynamicModule {
    const hooks = options.removalHooks ?? [];
    return {
      module: UsersModule,
      imports: [...(options.imports ?? [])],
      controllers: [UsersController, InvitationsController],
      providers: [
        // A list built from the bound classes: Nest has no multi-providers.
        { provide: USER_REMOVAL_HOOKS, useFactory: (...bound: UserRemovalHook[]) => bound, inject: hooks },
        UsersService,
        InvitationsService,
        UserMfaService,
      ],
      exports: [UsersService],
    };
  }
}
