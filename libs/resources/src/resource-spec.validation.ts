import { FieldError, ValidationError } from '@app/common';
import { ProviderName, RESOURCE_TYPE_BY_PROVIDER } from '@app/providers';

export interface ResourceSpec {
  provider: ProviderName;
  resourceType: string;
  resourceIdentifier: string;
  region: string | null;
  config: Record<string, unknown>;
}

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'all'];
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

const IDENTIFIERS: Record<ProviderName, { pattern: RegExp; message: string }> = {
  AWS: { pattern: /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/, message: 'resourceIdentifier must be a security group id like sg-0abc123def4567890' },
  GCP: { pattern: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, message: 'resourceIdentifier must be a GCP firewall rule name' },
  AZURE: {
    pattern: /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/networkSecurityGroups\/[^/]+$/i,
    message: 'resourceIdentifier must be an Azure network security group resource id',
  },
  APISIX: { pattern: /^[A-Za-z0-9._-]{1,64}$/, message: 'resourceIdentifier must be an APISIX route id' },
};

function isPort(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/** The traffic a rule opens: {protocol, port} or {protocol, ports[]}; icmp and all take no port. */
function checkTrafficConfig(config: Record<string, unknown>, required: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const keys = Object.keys(config);
  if (!keys.length) {
    return required ? [{ field: 'config', message: 'config must give protocol and port (or ports)' }] : [];
  }
  for (const key of keys) {
    if (!['protocol', 'port', 'ports'].includes(key)) {
      errors.push({ field: `config.${key}`, message: `${key} is not a known config field` });
    }
  }
  const protocol = config.protocol;
  if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) {
    errors.push({ field: 'config.protocol', message: `protocol must be one of ${PROTOCOLS.join(', ')}` });
    return errors;
  }
  const hasPort = config.port !== undefined;
  const hasPorts = config.ports !== undefined;
  if (protocol === 'icmp' || protocol === 'all') {
    if (hasPort || hasPorts) {
      errors.push({ field: hasPort ? 'config.port' : 'config.ports', message: `${protocol} takes no port` });
    }
    return errors;
  }
  if (hasPort === hasPorts) {
    errors.push({ field: 'config.port', message: 'give exactly one of port or ports' });
  } else if (hasPort && !isPort(config.port)) {
    errors.push({ field: 'config.port', message: 'port must be an integer from 1 to 65535' });
  } else if (hasPorts) {
    const ports = config.ports;
    if (!Array.isArray(ports) || ports.length === 0 || ports.length > 50) {
      errors.push({ field: 'config.ports', message: 'ports must be a list of 1 to 50 ports' });
    } else if (!ports.every(isPort)) {
      errors.push({ field: 'config.ports', message: 'every port must be an integer from 1 to 65535' });
    } else if (new Set(ports).size !== ports.length) {
      errors.push({ field: 'config.ports', message: 'ports must not repeat' });
    }
  }
  return errors;
}

/** Per provider and type: the identifier, the region and the config a firewall needs. */
export function validateResourceSpec(spec: ResourceSpec): void {
  const errors: FieldError[] = [];
  const expectedType = RESOURCE_TYPE_BY_PROVIDER[spec.provider];
  if (spec.resourceType !== expectedType) {
    errors.push({ field: 'resourceType', message: `resourceType for ${spec.provider} must be ${expectedType}` });
  }
  const identifier = IDENTIFIERS[spec.provider];
  if (!identifier.pattern.test(spec.resourceIdentifier)) {
    errors.push({ field: 'resourceIdentifier', message: identifier.message });
  }
  if (spec.provider === 'AWS') {
    if (!spec.region) {
      errors.push({ field: 'region', message: 'region is required for AWS security groups' });
    } else if (!AWS_REGION.test(spec.region)) {
      errors.push({ field: 'region', message: 'region must be an AWS region such as eu-west-1' });
    }
  } else if (spec.provider === 'APISIX' && spec.region) {
    errors.push({ field: 'region', message: 'region does not apply to APISIX routes' });
  }
  if (spec.provider !== 'APISIX') {
    errors.push(...checkTrafficConfig(spec.config, spec.provider === 'AWS'));
  } else if (Object.keys(spec.config).length) {
    errors.push({ field: 'config', message: 'APISIX routes take no config' });
  }
  if (errors.length) {
    throw new ValidationError('Request validation failed', errors);
  }
}

/**
 * The checks a PATCH body can get before its resource is looked up (validation comes before
 * existence): a traffic config is checked for shape whatever the provider turns out to be.
 */
export function validateResourcePatchShape(config: Record<string, unknown> | undefined): void {
  if (!config || !Object.keys(config).length) {
    return;
  }
  const errors = checkTrafficConfig(config, false);
  if (errors.length) {
    throw new ValidationError('Request validation failed', errors);
  }
}
