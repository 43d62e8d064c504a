'use strict';
// A throwaway database per run: nothing the bench does can touch a developer's data, and
// dropping it is the whole cleanup.
const { Client } = require('pg');

const ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function databaseUrl(name) {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin(fn) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  return databaseUrl(name);
}

/** FORCE (PostgreSQL 13+) ends connections the killed service may have left behind. */
async function dropDatabase(name) {
  if (!/^entryguard_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

module.exports = { ADMIN_URL, databaseUrl, createDatabase, dropDatabase };
