import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CredentialAccessAdapter } from './credential-access.adapter';
import { CredentialCipher, parseKeyring } from './credential-cipher';
import { CREDENTIAL_SETTINGS, CredentialSettings } from './credential-settings';
import { CredentialVerifier } from './credential-verifier';
import { Credential } from './credential.entity';
import { CredentialsController } from './credentials.controller';
import { CredentialsRepository } from './credentials.repository';
import { CredentialVerificationRepository } from './credential-verification.repository';
import { CredentialsService } from './credentials.service';

export interface CredentialsModuleOptions extends CredentialSettings {
  encryptionKeys: string;
}

@Module({})
export class CredentialsModule {
  static forRoot(options: CredentialsModuleOptions): DynamicModule {
    const { encryptionKeys, ...settings } = options;
    return {
      module: CredentialsModule,
      imports: [TypeOrmModule.forFeature([Credential])],
      controllers: [CredentialsController],
      providers: [
        { provide: CREDENTIAL_SETTINGS, useValue: settings },
        { provide: CredentialCipher, useValue: new CredentialCipher(parseKeyring(encryptionKeys)) },
        CredentialsRepository,
        CredentialVerificationRepository,
        CredentialsService,
        CredentialVerifier,
        CredentialAccessAdapter,
      ],
      exports: [CredentialAccessAdapter, CredentialCipher],
    };
  }
}
