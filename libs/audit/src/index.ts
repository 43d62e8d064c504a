export * from './audit-event';
export * from './audit.module';
export * from './audit.service';
export * from './audited-action.decorator';
export * from './audit-log.entity';
