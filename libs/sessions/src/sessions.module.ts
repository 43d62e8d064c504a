import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Session, SessionRule } from '@app/access';
import { RolesModule } from '@app/users';
import { DetectIpController } from './detect-ip.controller';
import { SESSION_SETTINGS, SessionSettings } from './session-settings';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

export interface SessionsModuleOptions {
  /** The engine (AccessModule), whose SessionOpening starts sessions and SessionLifecycle ends them. */
  imports: ModuleMetadata['imports'];
  settings: SessionSettings;
}

/** The sessions API and its rules (§13); the engine in @app/access does the provider work. */
@Module({})
export class SessionsModule {
  static forRoot(options: SessionsModuleOptions): DynamicModule {
    return {
      module: SessionsModule,
      imports: [...(options.imports ?? []), RolesModule, TypeOrmModule.forFeature([Session, SessionRule])],
      controllers: [SessionsController, DetectIpController],
      providers: [{ provide: SESSION_SETTINGS, useValue: options.settings }, SessionsRepository, SessionsService],
    };
  }
}
