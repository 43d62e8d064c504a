'use strict';
// When each session was first seen out of PENDING, read in SQL while the sessions start: the time
// a client polling the API would see it ACTIVE, without loading the service with those polls.
const { sleep } = require('./http');

/**
 * Polls `sessions` every `everyMs` for the ids added so far. A session's time is when the poll
 * that saw it answered: later than the commit by at most one interval and one query (an upper
 * bound, never early).
 */
function watchStatuses(pool, everyMs = 25) {
  const waiting = new Set();
  const seen = new Map();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      if (waiting.size > 0) {
        const { rows } = await pool.query(`SELECT id, status FROM sessions WHERE id = ANY($1) AND status <> 'PENDING'`, [[...waiting]]);
        const at = Date.now();
        for (const row of rows) {
          seen.set(row.id, { status: row.status, at });
          waiting.delete(row.id);
        }
      }
      await sleep(everyMs);
    }
  })();
  return {
    add(id) {
      if (id && !seen.has(id)) waiting.add(id);
    },
    /** id -> { status, at } for every session seen out of PENDING. */
    seen,
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

module.exports = { watchStatuses };
