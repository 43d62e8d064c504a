import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors, ValidationError } from '@app/common';
import { CREDENTIAL_TYPE_BY_PROVIDER, CredentialSecret, ProviderName } from '@app/providers';
import {
  ApisixAdminKeyDataDto,
  AwsAccessKeyDataDto,
  AzureServicePrincipalDataDto,
  GcpServiceAccountDataDto,
} from './dto/credential-data.dto';

const SHAPES = {
  AWS: { dto: AwsAccessKeyDataDto, allowOtherFields: false },
  // The service-account JSON carries more fields (client_id, token_uri, ...); they are kept.
  GCP: { dto: GcpServiceAccountDataDto, allowOtherFields: true },
  AZURE: { dto: AzureServicePrincipalDataDto, allowOtherFields: false },
  APISIX: { dto: ApisixAdminKeyDataDto, allowOtherFields: false },
} satisfies Record<ProviderName, { dto: new () => object; allowOtherFields: boolean }>;

export function checkCredentialType(provider: ProviderName, credentialType: string): void {
  const expected = CREDENTIAL_TYPE_BY_PROVIDER[provider];
  if (credentialType !== expected) {
    throw new ValidationError('Request validation failed', [
      { field: 'credentialType', message: `credentialType for ${provider} must be ${expected}` },
    ]);
  }
}

/** Validates `credentialData` for its provider; every problem is named under `credentialData.`. */
export function parseCredentialData(provider: ProviderName, data: Record<string, unknown>): CredentialSecret {
  const shape = SHAPES[provider];
  const instance = plainToInstance(shape.dto as new () => object, data);
  const errors = validateSync(instance, {
    whitelist: !shape.allowOtherFields,
    forbidNonWhitelisted: !shape.allowOtherFields,
    validationError: { target: false, value: false },
  });
  if (errors.length) {
    throw new ValidationError('Request validation failed', flattenValidationErrors(errors, 'credentialData'));
  }
  return { provider, data: { ...data } } as CredentialSecret;
}
