/**
 * Jest runs CommonJS; these packages are ESM-only or load ESM at run time. If one of them is
 * missing from jest.config.js's transform list, this fails loudly instead of a route quietly
 * breaking (Swagger UI's static files, PGlite, the Nest core).
 */
describe('ESM dependencies load under Jest', () => {
  it('@fastify/static (Swagger UI assets, loaded dynamically)', async () => {
    const module = (await import('@fastify/static')) as { default?: unknown };
    expect(typeof (module.default ?? module)).toBe('function');
  });

  it('@electric-sql/pglite', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    expect(typeof PGlite).toBe('function');
  });

  it('otplib (TOTP), whose Base32 and HMAC plugins load @scure/base and @noble/hashes', async () => {
    const { generateSecret, generateSync } = await import('otplib');
    expect(generateSync({ secret: generateSecret() })).toMatch(/^\d{6}$/);
  });

  it('@nestjs/core and @nestjs/platform-fastify', async () => {
    const core = await import('@nestjs/core');
    const fastify = await import('@nestjs/platform-fastify');
    expect(typeof core.NestFactory.create).toBe('function');
    expect(typeof fastify.FastifyAdapter).toBe('function');
  });
});
