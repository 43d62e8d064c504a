'use strict';
// Was the machine quiet during a round? CPU time of the whole machine (/proc/stat) minus ours:
// this process (autocannon), the servers we started, and the PostgreSQL backends serving our
// database. What is left is someone else's (tests, builds, installs) and disturbs the figures.
// Linux only; elsewhere every figure is null and nothing is flagged.
const fs = require('node:fs');
const os = require('node:os');

const TICKS = 100; // USER_HZ: /proc reports CPU time in 1/100 s on every Linux we run on

function machineBusyTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait irq softirq steal ..."
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}

function processTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** PostgreSQL backends connected to our database ("postgres: ... <db> ..." in their title). */
function backendsOf(dbName) {
  if (!dbName) return [];
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${dbName} `)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Call before a round; the returned function, called after it, gives the CPU figures of the round. */
function cpuMeter(pids, dbName) {
  try {
    const started = Date.now();
    const backends0 = backendsOf(dbName);
    const sum = (list) => list.reduce((total, pid) => total + processTicks(pid), 0);
    const ours = (backends) => sum([process.pid, ...pids(), ...backends]);
    const machine0 = machineBusyTicks();
    const ours0 = ours(backends0);
    const bench0 = processTicks(process.pid);
    const backendTicks0 = sum(backends0);
    return () => {
      const seconds = (Date.now() - started) / 1000;
      const machine = machineBusyTicks() - machine0;
      // Backends a pool opened meanwhile are ours too, with every tick of theirs in the window.
      const backends = [...new Set([...backends0, ...backendsOf(dbName)])];
      const mine = ours(backends) - ours0;
      // In cores: 1.0 = one core fully busy for the whole round.
      return {
        machineCores: machine / TICKS / seconds,
        oursCores: mine / TICKS / seconds,
        otherCores: Math.max(0, machine - mine) / TICKS / seconds,
        // Where ours went, in cores: the load generator (this process) and our database's backends.
        benchCores: (processTicks(process.pid) - bench0) / TICKS / seconds,
        databaseCores: (sum(backends) - backendTicks0) / TICKS / seconds,
        cpus: os.cpus().length,
      };
    };
  } catch {
    return () => ({ machineCores: null, oursCores: null, otherCores: null, cpus: os.cpus().length });
  }
}

/**
 * Waits (up to maxSeconds) for a second in which other processes use at most `limit` cores, so a
 * round starts on a quiet machine. Returns the seconds waited.
 */
async function waitQuiet(pids, dbName, limit, maxSeconds) {
  const started = Date.now();
  while ((Date.now() - started) / 1000 < maxSeconds) {
    const meter = cpuMeter(pids, dbName);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { otherCores } = meter();
    if (otherCores === null || otherCores <= limit) break;
  }
  return (Date.now() - started) / 1000;
}

/** CPU seconds a process has used so far (user + system); null when it cannot be read. */
function cpuSeconds(pid) {
  const ticks = processTicks(pid);
  return ticks ? ticks / TICKS : null;
}

module.exports = { cpuMeter, waitQuiet, cpuSeconds };
