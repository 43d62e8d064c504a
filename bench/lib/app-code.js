'use strict';
// Loads pieces of the app's own code, so the bench seeds exactly what the service reads back.
// The built file is preferred; while dist/ lacks it (the build may be older than the source),
// the TypeScript source is transpiled in memory: no build step, no copy of the algorithm here.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const ROOT = path.resolve(__dirname, '..', '..');

function loadAppModule(relativeTsPath) {
  const built = path.join(ROOT, 'dist', relativeTsPath.replace(/\.ts$/, '.js'));
  if (fs.existsSync(built)) {
    return require(built);
  }
  const source = path.join(ROOT, relativeTsPath);
  const ts = require('typescript');
  const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: source,
  });
  const mod = new Module(source, module);
  mod.filename = source;
  mod.paths = Module._nodeModulePaths(path.dirname(source));
  mod._compile(outputText, source);
  return mod.exports;
}

/** The app's AES-256-GCM cipher, bound to (organization, credential) like the service binds it. */
function credentialCipher(keys) {
  const { CredentialCipher, parseKeyring } = loadAppModule('apps/api/src/credentials/credential-cipher.ts');
  return new CredentialCipher(parseKeyring(keys));
}

module.exports = { ROOT, loadAppModule, credentialCipher };
