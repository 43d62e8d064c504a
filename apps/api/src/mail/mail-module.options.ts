import { DynamicModule } from '@nestjs/common';
import { join } from 'node:path';
import { MailModuleOptions } from '@app/mail';
import { AppConfig } from '../config/app-config';
import { MailSealerAdapter } from './mail-sealer.adapter';

/** Mail, configured from the app's settings, sealing with the keyring that `credentials` holds. */
export function mailModuleOptions(config: AppConfig, credentials: DynamicModule): MailModuleOptions {
  return {
    imports: [credentials],
    sealer: MailSealerAdapter,
    settings: {
      smtpUrl: config.mail.smtpUrl,
      from: config.mail.from,
      appUrl: config.mail.appUrl,
      outboxDir: join(config.dataDir, 'outbox'),
    },
  };
}
