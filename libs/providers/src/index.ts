export * from './provider.types';
export { ProviderRegistry } from './provider-registry';
export { ProvidersModule } from './providers.module';
export { PROVIDERS_OPTIONS, resolveProvidersOptions, type ProvidersOptions } from './providers.options';
export { AwsSecurityGroupAdapter } from './aws/aws-security-group.adapter';
export { ApisixRouteAdapter, APISIX_DEFAULT_ADMIN_KEY, APISIX_DENY_ALL_PLACEHOLDER } from './apisix/apisix-route.adapter';
export { UnsupportedProviderAdapter } from './unsupported/unsupported-provider.adapter';
