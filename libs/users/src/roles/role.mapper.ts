import { toIsoUtc } from '@app/common';
import { RoleDto } from './dto/role.dto';
import { RoleRow } from './roles.repository';

export function toRoleDto(row: RoleRow): RoleDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    maxSessionDurationHours: row.max_session_duration_hours,
    resourceIds: row.resource_ids,
    userIds: row.user_ids,
    createdAt: toIsoUtc(row.created_at) as string,
    updatedAt: toIsoUtc(row.updated_at) as string,
  };
}
