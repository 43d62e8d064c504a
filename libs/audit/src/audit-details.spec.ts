import { sanitizeAuditDetails } from './audit-details';

describe('sanitizeAuditDetails', () => {
  it('keeps names, ids and changed field names', () => {
    expect(sanitizeAuditDetails({ name: 'AWS prod', changedFields: ['name', 'credentialData'], resourceCount: 3 })).toEqual({
      name: 'AWS prod',
      changedFields: ['name', 'credentialData'],
      resourceCount: 3,
    });
  });

  it('drops keys that are not allow-listed, whatever they hold', () => {
    const cleaned = sanitizeAuditDetails({
      name: 'x',
      secretAccessKey: 'AKIA-SECRET',
      credentialData: { secretAccessKey: 'nested-secret' },
      password: 'hunter22',
    });
    expect(cleaned).toEqual({ name: 'x' });
    expect(JSON.stringify(cleaned)).not.toMatch(/SECRET|secret|hunter/);
  });

  it('drops nested objects even under allowed keys', () => {
    expect(sanitizeAuditDetails({ name: { secretAccessKey: 'leak' } })).toEqual({});
  });
});
