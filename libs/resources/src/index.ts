export * from './ports/credential-access.port';
export * from './resources.module';
export * from './resource-settings';
export * from './resource.entity';
export { ResourceNotFoundError } from './resource.errors';
