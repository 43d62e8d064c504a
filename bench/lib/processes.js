'use strict';
// Child processes (the service, the baseline): started with a clean env, watched for an early
// exit, and always stopped by the pid we started -- never by name.
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const children = new Set();

/**
 * Keeps the last lines of output, to show why a child died or never became ready. The children
 * run on BENCH_NODE when set (e.g. /usr/bin/node to compare Node versions), else on our own node.
 */
function start(name, args, env, cwd, node = process.env.BENCH_NODE || process.execPath) {
  const child = spawn(node, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.label = name;
  child.tail = tail;
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

async function waitReady(child, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.exited.then((how) => (exited = how));
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`${child.label} exited (${JSON.stringify(exited)}) before it was ready:\n${child.tail.join('\n')}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${child.label} not ready at ${url} after ${timeoutMs} ms:\n${child.tail.join('\n')}`);
}

async function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Resident memory of a running child, in bytes (Linux /proc); null when unavailable. */
function rssOf(child) {
  try {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (field) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) * 1024 : null;
    };
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** For exit paths that cannot await (uncaught error, second Ctrl-C). */
function killAllSync() {
  for (const child of children) child.kill('SIGKILL');
}

/** `node --version` of the binary the children run on. */
function childNodeVersion() {
  const node = process.env.BENCH_NODE || process.execPath;
  return node === process.execPath ? process.version : execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

module.exports = { freePort, start, waitReady, stop, killAllSync, rssOf, childNodeVersion };
