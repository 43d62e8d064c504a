export * from './mail-message';
export * from './mail-sealer.port';
export * from './mail-settings';
export * from './mail.service';
export * from './mail.module';
