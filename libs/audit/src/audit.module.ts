import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { REFUSAL_LISTENER } from '@app/common';
import { AuditLog } from './audit-log.entity';
import { AuditController } from './audit.controller';
import { AuditRefusalRecorder } from './audit-refusal.recorder';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/** Global so every feature module can record without re-importing it. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditLog])],
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditRefusalRecorder, { provide: REFUSAL_LISTENER, useExisting: AuditRefusalRecorder }],
  exports: [AuditService, REFUSAL_LISTENER],
})
export class AuditModule {}
