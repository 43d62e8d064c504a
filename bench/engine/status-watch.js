'use strict';
// When each session was first seen out of PENDING, read in SQL while the sessions start: the time
// a client polling the API would see it ACTIVE, without loading the service with those polls.
const { sleep } = require('./http');

/**
 * Polls `sessions` every `everyMs` for the ids added so far. A session's time is the database's
 * clock while the poll that first saw it ran: after the commit (the poll's snapshot saw it), by at
 * most one interval and part of a query (an upper bound, never early). The database and the bench
 * share this machine's clock, as the client's send times and the rules' applied_at do.
 */
function watchStatuses(pool, everyMs = 25) {
  const waiting = new Set();
  const seen = new Map();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      if (waiting.size > 0) {
        // clock_timestamp(): read while the statement runs, after its snapshot (which saw the commit).
        const { rows } = await pool.query(
          `SELECT id, status, clock_timestamp() AS at FROM sessions WHERE id = ANY($1) AND status <> 'PENDING'`,
          [[...waiting]],
        );
        for (const row of rows) {
          seen.set(row.id, { status: row.status, at: row.at.getTime() });
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
