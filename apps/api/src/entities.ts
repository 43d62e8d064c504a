import { AuditLog } from '@app/audit';
import { Organization, RefreshToken, User } from '@app/auth';
import { Resource } from '@app/resources';
import { Credential } from './credentials/credential.entity';

/**
 * Every table's entity, for the app's DataSource, the migration CLI (ormconfig.ts) and the
 * tests: one list, owned by the app because the app composes the modules that own them.
 */
export const ENTITIES = [Organization, User, RefreshToken, Credential, Resource, AuditLog];
