import { toIsoUtc } from '@app/common';
import { DirectoryUserRow } from '@app/auth';
import { UserDto } from './dto/user.dto';

/** The public shape (§9): never a password hash, never a token. */
export function toUserDto(row: DirectoryUserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isOrgAdmin: row.role === 'ORG_ADMIN',
    isActive: row.is_active,
    invitationPending: row.invitation_pending,
    mfaEnabled: row.mfa_enabled_at !== null,
    lastLoginAt: toIsoUtc(row.last_login_at),
    roleNames: row.role_names,
    createdAt: toIsoUtc(row.created_at) as string,
    updatedAt: toIsoUtc(row.updated_at) as string,
  };
}
