import { InitialSchema1764130000000 } from './1764130000000-initial-schema';
import { VerificationRevision1764400000000 } from './1764400000000-verification-revision';
import { AuditAppendOnlyGrants1764500000000 } from './1764500000000-audit-append-only-grants';
import { People1764700000000 } from './1764700000000-people';
import { JobsAndMail1764600000000 } from './1764600000000-jobs-and-mail';
import { Mfa1764800000000 } from './1764800000000-mfa';
import { AccessEngine1764900000000 } from './1764900000000-access-engine';
import { ApiKeys1765000000000 } from './1765000000000-api-keys';
import { SessionEngineSweeps1765100000000 } from './1765100000000-session-engine-sweeps';
import { EngineOutcomeFunctions1765200000000 } from './1765200000000-engine-outcome-functions';
import { FinishedJobsRetention1765300000000 } from './1765300000000-finished-jobs-retention';

/** Listed by class, not by glob, so the app, the CLI and tests load the same set from src or dist. */
export const MIGRATIONS = [
  InitialSchema1764130000000,
  VerificationRevision1764400000000,
  AuditAppendOnlyGrants1764500000000,
  People1764700000000,
  JobsAndMail1764600000000,
  Mfa1764800000000,
  AccessEngine1764900000000,
  ApiKeys1765000000000,
  SessionEngineSweeps1765100000000,
  EngineOutcomeFunctions1765200000000,
  FinishedJobsRetention1765300000000,
];
