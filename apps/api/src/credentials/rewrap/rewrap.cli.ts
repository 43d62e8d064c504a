import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
import { loadConfig } from '../../config/app-config';
import { ENTITIES } from '../../entities';
import { CredentialCipher, parseKeyring } from '../credential-cipher';
import { rewrapCredentials } from './credential-rewrap';
import { rewrapMfaSecrets } from './mfa-secret-rewrap';

/** `npm run keys:rewrap`: moves every credential and TOTP secret to the highest key in CREDENTIAL_ENCRYPTION_KEYS. */
async function main(): Promise<void> {
  const { config } = loadConfig(process.env);
  const cipher = new CredentialCipher(parseKeyring(config.credentialEncryptionKeys));
  const dataSource = new DataSource(
    buildDataSourceOptions({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      migrationsRun: false,
      poolSize: 2,
      entities: ENTITIES,
    }),
  );
  await dataSource.initialize();
  try {
    const organizationId = process.argv.find((arg) => arg.startsWith('--organization='))?.split('=')[1];
    const report = await rewrapCredentials(dataSource, cipher, { organizationId });
    process.stdout.write(
      `Re-encrypted ${report.rewrapped} credential(s) with key version ${cipher.activeVersion}; ${report.remaining} left on older keys.\n`,
    );
    if (report.undecryptable.length) {
      process.stdout.write(`No configured key opens these credentials (left unchanged): ${report.undecryptable.join(', ')}\n`);
    }
    const mfa = await rewrapMfaSecrets(dataSource, cipher, { organizationId });
    process.stdout.write(
      `Re-encrypted the TOTP secrets of ${mfa.rewrapped} user(s) with key version ${cipher.activeVersion}; ${mfa.remaining} left on older keys.\n`,
    );
    if (mfa.undecryptable.length) {
      process.stdout.write(`No configured key opens the TOTP secrets of these users (left unchanged): ${mfa.undecryptable.join(', ')}\n`);
    }
    process.exitCode = report.remaining === 0 && mfa.remaining === 0 ? 0 : 2;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`keys:rewrap failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
