import { AuditLog } from '@app/audit';
import { Job } from '@app/jobs';
import { Organization, OrganizationSettings, RefreshToken, User, UserToken } from '@app/auth';
import { Resource } from '@app/resources';
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
  Credential,
  Resource,
  AuditLog,
  Role,
  RoleUser,
  RoleResource,
  Job,
];
