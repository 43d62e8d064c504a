export * from './roles/role.entity';
export * from './roles/role-assignment.entity';
