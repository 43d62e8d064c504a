import { Equals, IsEmail, IsNotEmpty, IsOptional, IsString, IsUrl, IsUUID, Matches, MaxLength } from 'class-validator';

/** The shape of `credentialData` for each provider. Messages never echo the submitted values. */
export class AwsAccessKeyDataDto {
  @IsString()
  @Matches(/^[A-Z0-9]{16,128}$/, { message: 'accessKeyId must be 16-128 upper-case letters and digits' })
  accessKeyId!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  secretAccessKey!: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  sessionToken?: string;
}

export class GcpServiceAccountDataDto {
  @Equals('service_account', { message: 'type must be service_account' })
  type!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  project_id!: string;

  @IsString()
  @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'private_key must be a PEM private key' })
  @MaxLength(8192)
  private_key!: string;

  @IsEmail({}, { message: 'client_email must be an email address' })
  client_email!: string;
}

export class AzureServicePrincipalDataDto {
  @IsUUID('all', { message: 'tenantId must be a UUID' })
  tenantId!: string;

  @IsUUID('all', { message: 'clientId must be a UUID' })
  clientId!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientSecret!: string;

  @IsUUID('all', { message: 'subscriptionId must be a UUID' })
  subscriptionId!: string;
}

export class ApisixAdminKeyDataDto {
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'adminUrl must be an http(s) URL' })
  @MaxLength(2048)
  adminUrl!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  adminKey!: string;
}
