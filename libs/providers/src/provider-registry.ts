import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ApisixRouteAdapter } from './apisix/apisix-route.adapter';
import { AwsSecurityGroupAdapter } from './aws/aws-security-group.adapter';
import { PROVIDERS, type CloudProviderAdapter, type ProviderName } from './provider.types';
import { PROVIDERS_OPTIONS, resolveProvidersOptions, type ProvidersOptions } from './providers.options';
import { UnsupportedProviderAdapter } from './unsupported/unsupported-provider.adapter';

/** The one place that knows which adapter serves which provider. Adapters keep nothing between calls but AWS's clients (Ec2ClientCache). */
@Injectable()
export class ProviderRegistry implements OnApplicationShutdown {
  private readonly adapters: ReadonlyMap<ProviderName, CloudProviderAdapter>;
  private readonly aws: AwsSecurityGroupAdapter;

  constructor(@Optional() @Inject(PROVIDERS_OPTIONS) options?: ProvidersOptions) {
    const resolved = resolveProvidersOptions(options);
    this.aws = new AwsSecurityGroupAdapter(resolved);
    this.adapters = new Map<ProviderName, CloudProviderAdapter>([
      ['AWS', this.aws],
      ['APISIX', new ApisixRouteAdapter(resolved)],
      ['GCP', new UnsupportedProviderAdapter('GCP')],
      ['AZURE', new UnsupportedProviderAdapter('AZURE')],
    ]);
  }

  onApplicationShutdown(): void {
    this.aws.close();
  }

  adapterFor(provider: ProviderName): CloudProviderAdapter {
    const adapter = this.adapters.get(provider);
    if (!adapter) {
      // Only reachable with a value that bypassed the type system, e.g. a stale database row.
      throw new Error(`Unknown provider "${String(provider)}"; expected one of ${PROVIDERS.join(', ')}`);
    }
    return adapter;
  }
}
