export * from './roles/role.entity';
export * from './roles/role-assignment.entity';
export * from './roles/roles.module';
export * from './users/users.module';
export * from './users/user-removal.port';
export * from './users/user.errors';
export * from './users/dto/user.dto';
export * from './roles/roles.repository';
