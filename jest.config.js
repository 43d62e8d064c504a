// Nest 12 and PGlite ship ESM only; Jest runs CommonJS. SWC compiles our TypeScript
// (with decorator metadata, which Nest's DI needs) and transpiles those ESM packages.
const esmPackages = [
  '@nestjs',
  '@electric-sql/pglite',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer/inflate',
  'uint8array-extras',
  '@borewit/text-codec',
  'content-disposition',
  // otplib (TOTP, §11) ships CommonJS, but its Base32 and HMAC plugins load these ESM-only packages.
  '@otplib',
  '@scure/base',
  '@noble/hashes',
];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const moduleNameMapper = {
  '^@app/(common|database|auth|audit|resources|providers|users|jobs|mail|access|sessions|static-ip-rules|api-keys)$': '<rootDir>/libs/$1/src',
};

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper,
};

module.exports = {
  // A global option in Jest 30 (ignored inside a project): the e2e specs boot real apps.
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
