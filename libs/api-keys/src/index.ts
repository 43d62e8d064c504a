export * from './api-keys.module';
export * from './api-key.entity';
export * from './api-key-removal.hook';
export { ApiKeyNotFoundError } from './api-key.errors';
