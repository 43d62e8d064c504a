import { awsCredentialBody, awsResourceBody, uniqueName } from '../harness/factories';
import { PASSWORD } from '../mfa/mfa-harness';
import { randomId } from './security-harness';

/** The objects of mfa-setup-sweep.e2e-spec.ts, and what each swept operation is called with. */
export interface Ctx {
  credential: string;
  freeCredential: string;
  resource: string;
  held: string;
  invitee: string;
  mfaAdmin: string;
  role: string;
  apiKey: string;
  rule: string;
  /** The caller's own session (each restricted user started one before MFA was required). */
  ownSession: string;
  memberSession: string;
}

/** A body that would pass validation, per operation (an invalid one would be refused for the wrong reason). */
export const BODIES: Record<string, (ctx: Ctx) => unknown> = {
  createCredential: () => awsCredentialBody(),
  updateCredential: () => ({ name: uniqueName('Renamed') }),
  migrateCredentialResources: (ctx) => ({ targetCredentialId: ctx.freeCredential }),
  createResource: (ctx) => awsResourceBody(ctx.credential),
  updateResource: () => ({ name: uniqueName('Renamed SG'), region: 'eu-central-1' }),
  createUser: () => ({ email: `sweep-${randomId().slice(0, 8)}@example.test`, name: 'Ivy Invitee' }),
  updateUser: () => ({ name: uniqueName('Renamed'), isOrgAdmin: true }),
  createRole: () => ({ name: uniqueName('Role'), maxSessionDurationHours: 8 }),
  updateRole: () => ({ name: uniqueName('Renamed role'), description: null }),
  updateOrganizationSettings: () => ({ mfaRequired: false, passwordMinLength: 12 }),
  startSession: (ctx) => ({ ipv4Address: '203.0.113.50', resourceIds: [ctx.held], durationHours: 1 }),
  extendSession: () => ({ additionalHours: 1 }),
  createStaticIpRule: (ctx) => ({ label: uniqueName('Office'), ipAddress: '198.51.100.0/24', resourceIds: [ctx.held] }),
  createApiKey: () => ({ name: uniqueName('Key'), scopes: ['sessions:read'] }),
  changePassword: () => ({ currentPassword: PASSWORD, newPassword: 'Another password 2' }),
  disableMfa: () => ({ code: '123456' }),
  regenerateRecoveryCodes: () => ({ code: '123456' }),
};

/** Which object a path parameter names: the operation's own choice first, then the family's. */
export const IDS_BY_OPERATION: Record<string, (ctx: Ctx) => string> = {
  deleteCredential: (ctx) => ctx.freeCredential,
  resetUserMfa: (ctx) => ctx.mfaAdmin,
  adminStopSession: (ctx) => ctx.memberSession,
};
export const IDS_BY_FAMILY: Record<string, (ctx: Ctx) => string> = {
  credentials: (ctx) => ctx.credential,
  resources: (ctx) => ctx.resource,
  users: (ctx) => ctx.invitee,
  roles: (ctx) => ctx.role,
  'api-keys': (ctx) => ctx.apiKey,
  'static-ip-rules': (ctx) => ctx.rule,
  sessions: (ctx) => ctx.ownSession,
};
export const SECONDARY: Record<string, (ctx: Ctx) => string> = {
  userId: (ctx) => ctx.invitee,
  resourceId: (ctx) => ctx.resource,
};
