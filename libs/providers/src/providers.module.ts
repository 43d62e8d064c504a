import { Module, type DynamicModule } from '@nestjs/common';
import { ProviderRegistry } from './provider-registry';
import { PROVIDERS_OPTIONS, type ProvidersOptions } from './providers.options';

/**
 * The one provider registry of the app: registered once, globally, so every module that calls a
 * provider (credentials, resources, the engine) shares it and its options.
 */
@Module({})
export class ProvidersModule {
  static forRoot(options: ProvidersOptions = {}): DynamicModule {
    return {
      module: ProvidersModule,
      global: true,
      providers: [{ provide: PROVIDERS_OPTIONS, useValue: options }, ProviderRegistry],
      exports: [ProviderRegistry],
    };
  }
}
