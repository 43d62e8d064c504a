// Lint for real bugs (promises, exhaustive switches, equality) and for the architecture:
// apps -> libs -> libs/common, a library never imports the app, and libraries reach each
// other only through their index (the @app/<name> alias).
import tseslint from 'typescript-eslint';

const crossLibraryRelative = ['../../*/src', '../../*/src/**', '../../../*/src', '../../../*/src/**', '../../../../*/src/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'artifacts/**', 'bench/**', 'scripts/*.js', '*.config.js', '*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/await-thenable': 'error',
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**', '@app/api', '@app/api/**'], message: 'A library never imports the app: declare a port and let the app bind it.' },
            { group: ['@app/*/**'], message: 'Import another library through its index: @app/<name>.' },
            { group: crossLibraryRelative, message: 'Import another library through its index: @app/<name>.' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**'], message: 'A library never imports the app.' },
            { group: ['@app/*', '@app/*/**'], message: 'libs/common is the bottom layer: it imports no other library.' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@app/*/**', '**/libs/**'], message: 'Import a library through its index: @app/<name>.' }] }],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: { curly: 'off' },
  },
);
