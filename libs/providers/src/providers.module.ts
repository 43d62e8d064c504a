import { Module, type DynamicModule } from '@nestjs/common';
import { ProviderRegistry } from './provider-registry';
import { PROVIDERS_OPTIONS, type ProvidersOptions } from './providers.options';

@Module({})
export class ProvidersModule {
  static register(options: ProvidersOptions = {}): DynamicModule {
    return {
      module: ProvidersModule,
      providers: [{ provide: PROVIDERS_OPTIONS, useValue: options }, ProviderRegistry],
      exports: [ProviderRegistry],
    };
  }
}
