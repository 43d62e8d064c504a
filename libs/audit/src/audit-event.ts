export const AUDIT_EVENT_TYPES = [
  'USER_REGISTER',
  'USER_LOGIN',
  'USER_LOGOUT',
  'CREDENTIAL_CREATE',
  'CREDENTIAL_UPDATE',
  'CREDENTIAL_DELETE',
  'CREDENTIAL_VERIFY',
  'CREDENTIAL_RESOURCES_MIGRATE',
  'RESOURCE_CREATE',
  'RESOURCE_UPDATE',
  'RESOURCE_DELETE',
  'RESOURCE_VERIFY',
  'USER_INVITE',
  'INVITATION_ACCEPT',
  'USER_UPDATE',
  'USER_DELETE',
  'PASSWORD_CHANGE',
  'PASSWORD_RESET_REQUEST',
  'PASSWORD_RESET',
  'ORGANIZATION_SETTINGS_UPDATE',
  'ROLE_CREATE',
  'ROLE_UPDATE',
  'ROLE_DELETE',
  'ROLE_USER_ASSIGN',
  'ROLE_USER_UNASSIGN',
  'ROLE_RESOURCE_ASSIGN',
  'ROLE_RESOURCE_UNASSIGN',
  'MFA_ENABLE',
  'MFA_DISABLE',
  'MFA_RECOVERY_CODES_REGENERATE',
  'MFA_RESET',
  'API_KEY_CREATE',
  'API_KEY_REVOKE',
  'SESSION_START',
  'SESSION_STOP',
  'SESSION_ADMIN_STOP',
  'SESSION_EXTEND',
  'SESSION_EXPIRE',
  'SESSION_END_USER_REMOVED',
  'STATIC_IP_RULE_CREATE',
  'STATIC_IP_RULE_DELETE',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const AUDIT_RESULTS = ['SUCCESS', 'FAILURE'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export const AUDIT_TARGET_TYPES = [
  'USER',
  'ORGANIZATION',
  'CREDENTIAL',
  'RESOURCE',
  'ROLE',
  'API_KEY',
  'SESSION',
  'STATIC_IP_RULE',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export const AUDIT_ACTOR_TYPES = ['USER', 'API_KEY', 'SYSTEM', 'ANONYMOUS'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

type DetailValue = string | number | boolean | null | string[];

/**
 * The only keys a row's `details` may hold: names, ids, counts and changed field names.
 * Anything else is dropped where the row is built, so a careless caller cannot leak a secret.
 */
export const AUDIT_DETAIL_KEYS = [
  'name',
  'previousName',
  'changedFields',
  'provider',
  'credentialType',
  'credentialId',
  'credentialName',
  'previousCredentialId',
  'sourceCredentialId',
  'targetCredentialId',
  'movedResourceCount',
  'resourceCount',
  'resourceType',
  'resourceIdentifier',
  'region',
  'isValid',
  'isActive',
  'keysRotated',
  'revokedAtProvider',
  'revokedKeyId',
  'email',
  'organizationSlug',
  'reason',
  'isOrgAdmin',
  'invitationResent',
  'userId',
  'roleId',
  'roleName',
  'resourceId',
  'resourceName',
  'maxSessionDurationHours',
  'description',
  // Which second factor a sign-in or an MFA change used: TOTP or RECOVERY_CODE (never the code).
  'mfaMethod',
  // The key a row was written under (set by AuditService, never by callers), and a created key's public parts.
  'apiKeyPrefix',
  'keyPrefix',
  'scopes',
  'expiresAt',
  // Sessions and static IP rules (§13, §16): addresses are the users' own, never secrets.
  'ipv4Address',
  'ipv6Address',
  'durationHours',
  'additionalHours',
  'ipAddress',
  'label',
  'resourceIds',
] as const;
export type AuditDetailKey = (typeof AUDIT_DETAIL_KEYS)[number];
export type AuditDetails = Partial<Record<AuditDetailKey, DetailValue>>;

export interface AuditEvent {
  eventType: AuditEventType;
  targetType?: AuditTargetType;
  targetId?: string | null;
  targetName?: string | null;
  result?: AuditResult;
  errorCode?: string | null;
  errorMessage?: string | null;
  details?: AuditDetails;
  /** Only for events without a signed-in principal (register, login, background jobs). */
  actor?: { id?: string | null; email?: string | null; type: AuditActorType };
  /** Only for events without a signed-in principal. */
  organizationId?: string | null;
}
