import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CREDENTIAL_ACCESS, CredentialAccess } from './ports/credential-access.port';
import { RESOURCE_SETTINGS, ResourceSettings } from './resource-settings';
import { Resource } from './resource.entity';
import { ResourceVerifier } from './resource-verifier';
import { ResourcesController } from './resources.controller';
import { ResourcesRepository } from './resources.repository';
import { ResourcesService } from './resources.service';
import { ResourceHealthController } from './health/resource-health.controller';
import { ResourceHealthEvent } from './health/resource-health-event.entity';
import { ResourceHealthRepository } from './health/resource-health.repository';
import { RESOURCE_USAGE, ResourceUsage } from './ports/resource-usage.port';

export interface ResourcesModuleOptions {
  /** The module that provides the credential-access implementation (the app's credentials). */
  imports: ModuleMetadata['imports'];
  credentialAccess: Type<CredentialAccess>;
  /** What holds a resource's rules (the engine); must be provided by a module in `imports`. */
  resourceUsage: Type<ResourceUsage>;
  settings: ResourceSettings;
}

@Module({})
export class ResourcesModule {
  static forRoot(options: ResourcesModuleOptions): DynamicModule {
    return {
      module: ResourcesModule,
      imports: [...(options.imports ?? []), TypeOrmModule.forFeature([Resource, ResourceHealthEvent])],
      controllers: [ResourcesController, ResourceHealthController],
      providers: [
        { provide: CREDENTIAL_ACCESS, useExisting: options.credentialAccess },
        { provide: RESOURCE_USAGE, useExisting: options.resourceUsage },
        ResourceHealthRepository,
        { provide: RESOURCE_SETTINGS, useValue: options.settings },
        ResourcesRepository,
        ResourcesService,
        ResourceVerifier,
      ],
    };
  }
}
