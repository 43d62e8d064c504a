import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../harness/test-app';

/**
 * Swagger UI at /api/docs, rendered by a real browser: Debian's Chromium (.ci/run installs it;
 * Playwright's own browser download does not work here), driven by playwright-core. It proves
 * the page's scripts and styles load under the app's Content-Security-Policy and that the UI
 * renders the served document, credentials operations included. The screenshots go to the
 * run's output folder (ARTIFACTS_DIR, which .ci/run sets) as CI artifacts.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS_DIR = resolve(__dirname, '..', '..', process.env.ARTIFACTS_DIR ?? 'artifacts');
const SCREENSHOT = join(ARTIFACTS_DIR, 'swagger-ui.png');
const DELETE_SCREENSHOT = join(ARTIFACTS_DIR, 'swagger-ui-delete-credential.png');
const PLAIN_HTTP_HOST = 'entryguard.test';

const CREDENTIAL_OPERATIONS = [
  ['post', '/api/v1/credentials', 'createCredential'],
  ['get', '/api/v1/credentials', 'listCredentials'],
  ['get', '/api/v1/credentials/{id}', 'getCredential'],
  ['patch', '/api/v1/credentials/{id}', 'updateCredential'],
  ['delete', '/api/v1/credentials/{id}', 'deleteCredential'],
  ['post', '/api/v1/credentials/{id}/verify', 'verifyCredential'],
  ['post', '/api/v1/credentials/{id}/migrate-resources', 'migrateCredentialResources'],
] as const;

/** The tags of §9 to §16, as the document names them. */
const NEW_TAGS = ['Users', 'Roles', 'Organization settings', 'MFA', 'API keys', 'Sessions', 'Static IP rules', 'Resource health'];

describe('Swagger UI at /api/docs in headless Chromium', () => {
  let t: TestApp;
  let context: BrowserContext | undefined;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      // A missing browser is a broken CI machine, not a reason to skip.
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the Swagger UI check needs Debian's chromium package ` +
          '(`apt-get update && apt-get install -y chromium`, which .ci/run does).',
      );
    }
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    t = await startTestApp();
    userDataDir = mkdtempSync(join(tmpdir(), 'entryguard-chromium-'));
    // Playwright refuses --user-data-dir in `args`; a persistent context on a fresh directory is
    // the same thing.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        // A name that is not loopback, for the plain-http case below (resolves locally, no DNS).
        `--host-resolver-rules=MAP ${PLAIN_HTTP_HOST} 127.0.0.1`,
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('requestfailed', (request) => failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('renders the document with the Credentials operations, and keeps a screenshot', async () => {
    const origin = new URL(t.baseUrl).origin;
    const response = await page.goto(`${origin}/api/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src/);

    // Swagger UI fetched /api/docs-json and rendered an operation block per route.
    try {
      await page.waitForSelector('#operations-Credentials-deleteCredential', { timeout: 20_000 });
    } catch (error) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => undefined);
      throw new Error(
        `Swagger UI did not render the credentials operations (screenshot: ${SCREENSHOT}).\n` +
          `console errors: ${JSON.stringify(consoleErrors)}\npage errors: ${JSON.stringify(pageErrors)}\n` +
          `failed requests: ${JSON.stringify(failedRequests)}\n${String(error)}`,
      );
    }
    await expect(page.locator('.swagger-ui .info .title').first().innerText()).resolves.toContain('EntryGuard API');

    for (const [method, path, operationId] of CREDENTIAL_OPERATIONS) {
      const block = page.locator(`#operations-Credentials-${operationId}`);
      await expect(block.count()).resolves.toBe(1);
      await expect(block.locator('.opblock-summary-method').innerText()).resolves.toBe(method.toUpperCase());
      // Swagger UI breaks long paths with zero-width spaces.
      const shown = (await block.locator('.opblock-summary-path').innerText()).replace(/\u200b/g, '');
      expect(shown).toBe(path);
      await expect(block.getAttribute('class')).resolves.toContain(`opblock-${method}`);
    }

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

    // The page works under the CSP: nothing blocked, nothing thrown, nothing failed to load.
    expect({ consoleErrors, pageErrors, failedRequests }).toEqual({ consoleErrors: [], pageErrors: [], failedRequests: [] });
  });

  it('opens DELETE /api/v1/credentials/{id} and shows its documented responses', async () => {
    const block = page.locator('#operations-Credentials-deleteCredential');
    await block.locator('.opblock-summary').first().click();
    const responses = block.locator('.responses-table');
    await responses.first().waitFor({ timeout: 10_000 });
    const text = await block.innerText();
    for (const status of ['204', '400', '401', '403', '404', '429', '500']) {
      await expect(block.locator(`.responses-table tr.response[data-code="${status}"]`).count()).resolves.toBe(1);
    }
    for (const code of [
      'CREDENTIAL_IN_USE',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'CREDENTIAL_NOT_FOUND',
      'RATE_LIMIT_EXCEEDED',
      'INTERNAL_ERROR',
    ]) {
      expect(text).toContain(code);
    }
    await block.screenshot({ path: DELETE_SCREENSHOT });
    expect({ consoleErrors, pageErrors, failedRequests }).toEqual({ consoleErrors: [], pageErrors: [], failedRequests: [] });
  });

  // The second milestone's tags (§9 to §16): each renders as a section with every operation the
  // document puts under it, read from the served document (no list of operations kept here).
  it('shows the new tags (Users, Roles, Organization settings, MFA, API keys, Sessions, Static IP rules, Resource health) with their operations', async () => {
    const origin = new URL(t.baseUrl).origin;
    const doc = (await (await fetch(`${origin}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; operationId: string }>>;
    };
    const byTag = new Map<string, string[]>();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) for (const tag of op.tags ?? []) byTag.set(tag, [...(byTag.get(tag) ?? []), op.operationId]);
    }
    const other = await context!.newPage();
    try {
      expect((await other.goto(`${origin}/api/docs`, { waitUntil: 'load' }))?.status()).toBe(200);
      await other.waitForSelector('.opblock-tag[data-tag="Sessions"]', { timeout: 20_000 });
      const shown: Record<string, number> = {};
      const expected: Record<string, number> = {};
      for (const tag of NEW_TAGS) {
        const header = other.locator(`.opblock-tag[data-tag="${tag}"]`);
        await expect(header.count()).resolves.toBe(1);
        expect(await header.isVisible()).toBe(true);
        const section = other.locator('.opblock-tag-section', { has: header });
        shown[tag] = await section.locator('.opblock').count();
        expected[tag] = byTag.get(tag)?.length ?? 0;
        for (const operationId of byTag.get(tag) ?? []) {
          await expect(section.locator(`[id$="-${operationId}"].opblock`).count()).resolves.toBe(1);
        }
      }
      expect(shown).toEqual(expected);
      expect(Object.values(expected).every((n) => n > 0)).toBe(true);
      await other.screenshot({ path: join(ARTIFACTS_DIR, 'swagger-ui-new-tags.png'), fullPage: true });
    } finally {
      await other.close();
    }
    expect({ consoleErrors, pageErrors, failedRequests }).toEqual({ consoleErrors: [], pageErrors: [], failedRequests: [] });
  });

  // Helmet's default CSP (which we once used) adds `upgrade-insecure-requests`: on plain http at any host that
  // is not loopback (the Docker image at http://<host>:3000, a staging box without TLS) browsers
  // would then fetch Swagger UI's assets over https (net::ERR_SSL_PROTOCOL_ERROR) and the page
  // stays blank. Loopback is exempt, so only a non-loopback name catches it. create-app.ts turns
  // the directive off (upgradeInsecureRequests: null); this keeps it off.
  it('renders over plain http at a host name that is not loopback', async () => {
    const port = new URL(t.baseUrl).port;
    const other = await context!.newPage();
    const failed: string[] = [];
    other.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    try {
      const response = await other.goto(`http://${PLAIN_HTTP_HOST}:${port}/api/docs`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).not.toContain('upgrade-insecure-requests');
      await other.waitForSelector('#operations-Credentials-deleteCredential', { timeout: 10_000 });
      expect(failed).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
