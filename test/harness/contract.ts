/** Shapes the public contract fixes (decisions.md §3, §5), shared by every spec that checks them. */
export const CREDENTIAL_KEYS = [
  'createdAt',
  'credentialType',
  'id',
  'isValid',
  'lastVerifiedAt',
  'name',
  'provider',
  'resourceCount',
  'updatedAt',
  'verificationError',
];

export const RESOURCE_KEYS = [
  'config',
  'createdAt',
  'credentialId',
  'credentialName',
  'id',
  'isActive',
  'lastVerifiedAt',
  'name',
  'provider',
  'region',
  'resourceIdentifier',
  'resourceType',
  'updatedAt',
  'verificationError',
];

/** ISO-8601 UTC ending in Z. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
