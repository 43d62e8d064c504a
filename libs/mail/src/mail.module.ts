import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { MAIL_SEALER, MailSealer } from './mail-sealer.port';
import { MAIL_SETTINGS, MailSettings } from './mail-settings';
import { MailTransport } from './mail-transport';
import { MailService } from './mail.service';
import { MailWorker } from './mail.worker';

export interface MailModuleOptions {
  /** Modules the sealer needs (the app's credentials, for the keyring). */
  imports?: ModuleMetadata['imports'];
  /** The app's implementation of the MailSealer port. */
  sealer: Type<MailSealer>;
  settings: MailSettings;
}

/** Needs JobsModule (global, registered by the app). */
@Module({})
export class MailModule {
  static forRoot(options: MailModuleOptions): DynamicModule {
    return {
      module: MailModule,
      global: true,
      imports: [...(options.imports ?? [])],
      providers: [
        { provide: MAIL_SETTINGS, useValue: options.settings },
        { provide: MAIL_SEALER, useClass: options.sealer },
        MailTransport,
        MailService,
        MailWorker,
      ],
      exports: [MailService],
    };
  }
}
