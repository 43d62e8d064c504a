import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CREDENTIAL_ACCESS, CredentialAccess } from './ports/credential-access.port';
import { RESOURCE_SETTINGS, ResourceSettings } from './resource-settings';
import { Resource } from './resource.entity';
import { ResourceVerifier } from './resource-verifier';
import { ResourcesController } from './resources.controller';
import { ResourcesRepository } from './resources.repository';
import { ResourcesService } from './resources.service';

export interface ResourcesModuleOptions {
  /** The module that provides the credential-access implementation (the app's credentials). */
  imports: ModuleMetadata['imports'];
  credentialAccess: Type<CredentialAccess>;
  settings: ResourceSettings;
}

@Module({})
export class ResourcesModule {
  static forRoot(options: ResourcesModuleOptions): DynamicModule {
    return {
      module: ResourcesModule,
      imports: [...(options.imports ?? []), TypeOrmModule.forFeature([Resource])],
      controllers: [ResourcesController],
      providers: [
        { provide: CREDENTIAL_ACCESS, useExisting: options.credentialAccess },
        { provide: RESOURCE_SETTINGS, useValue: options.settings },
        ResourcesRepository,
        ResourcesService,
        ResourceVerifier,
      ],
    };
  }
}
