import { ApiKey } from '@app/api-keys';
import { AuditLog } from '@app/audit';
import { Job } from '@app/jobs';
import { MfaRecoveryCode, Organization, OrganizationSettings, RefreshToken, User, UserMfa, UserToken } from '@app/auth';
import { Resource, ResourceHealthEvent } from '@app/resources';
import { ENGINE_ENTITIES } from '@app/access';
import { Role, RoleResource, RoleUser } from '@app/users';
import { Credential } from './credentials/credential.entity';

/**
 * Every table's entity, for the app's DataSource, the migration CLI (ormconfig.ts) and the
 * tests: one list, owned by the app because the app composes the modules that own them.
 */
export const ENTITIES = [
  Organization,
  OrganizationSettings,
  User,
  RefreshToken,
  UserToken,
  UserMfa,
  MfaRecoveryCode,
  Credential,
  Resource,
  AuditLog,
  Role,
  RoleUser,
  RoleResource,
  Job,
  ApiKey,
  ResourceHealthEvent,
  ...ENGINE_ENTITIES,
];
