import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency } from '@nestjs/common';
import { ProviderRegistry } from './provider-registry';
import { PROVIDERS_OPTIONS, type ProvidersOptions } from './providers.options';

export interface ProvidersAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: any[]) => ProvidersOptions | Promise<ProvidersOptions>;
}

@Module({})
export class ProvidersModule {
  static register(options: ProvidersOptions = {}): DynamicModule {
    return {
      module: ProvidersModule,
      providers: [{ provide: PROVIDERS_OPTIONS, useValue: options }, ProviderRegistry],
      exports: [ProviderRegistry],
    };
  }

  /** For options that come from configuration loaded by another module. */
  static registerAsync(options: ProvidersAsyncOptions): DynamicModule {
    return {
      module: ProvidersModule,
      imports: options.imports ?? [],
      providers: [{ provide: PROVIDERS_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, ProviderRegistry],
      exports: [ProviderRegistry],
    };
  }
}
