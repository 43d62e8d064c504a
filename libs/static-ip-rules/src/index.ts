export * from './static-ip-rules.module';
export { normalizeRuleAddress } from './static-ip-address';
