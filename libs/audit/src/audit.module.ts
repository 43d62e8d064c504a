import { Global, Module } from '@nestjs/common';
import { REFUSAL_LISTENER } from '@app/common';
import { AuditController } from './audit.controller';
import { AuditRefusalRecorder } from './audit-refusal.recorder';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/** Global so every feature module can record without re-importing it. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditRefusalRecorder, { provide: REFUSAL_LISTENER, useExisting: AuditRefusalRecorder }],
  exports: [AuditService, REFUSAL_LISTENER],
})
export class AuditModule {}
