export * from './ports/credential-access.port';
export * from './resources.module';
export * from './resource-settings';
export * from './resource.entity';
export { ResourceNotFoundError } from './resource.errors';
export * from './ports/resource-usage.port';
export * from './health/resource-health-event.entity';
export { ResourceHealthRepository, type HealthEventInput } from './health/resource-health.repository';
