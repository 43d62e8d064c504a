// The decorator and the event vocabulary first: libraries that @app/audit loads on its way (audit
// -> auth -> their controllers) decorate with them while this index is still loading.
export * from './audit-event';
export * from './audited-action.decorator';
export * from './audit.service';
export * from './audit.module';
export * from './audit-log.entity';
