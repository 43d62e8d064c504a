import ipaddr from 'ipaddr.js';

/**
 * Readers for one environment variable each: a bad value throws a ConfigError naming the variable,
 * so the process stops at boot with a message a person can act on (§8).
 */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export function str(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) {
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) {
    return fallback;
  }
  if (['true', '1', 'yes', 'on'].includes(raw)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(raw)) {
    return false;
  }
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "900", "900s", "15m", "7d" -> seconds. */
export function duration(env: Env, name: string, fallbackSeconds: number): number {
  const raw = str(env, name);
  if (raw === undefined) {
    return fallbackSeconds;
  }
  const match = /^(\d+)([smhd]?)$/.exec(raw);
  const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] || 's'] : 0;
  if (!match || seconds < 1) {
    throw new ConfigError(name, `must be a positive duration such as 900, 15m or 7d (got "${raw}")`);
  }
  return seconds;
}

export function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) {
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return raw;
}

/** A comma-separated list of networks (`10.1.0.0/16,fd00::/8`), each normalized to its network address. */
export function cidrList(env: Env, name: string): string[] {
  const raw = str(env, name);
  if (!raw) {
    return [];
  }
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      if (!ipaddr.isValidCIDR(entry)) {
        throw new ConfigError(name, `must be a comma-separated list of CIDR networks; "${entry}" is not one`);
      }
      const bits = ipaddr.parseCIDR(entry)[1];
      const network = ipaddr.IPv4.isValidCIDR(entry)
        ? ipaddr.IPv4.networkAddressFromCIDR(entry)
        : ipaddr.IPv6.networkAddressFromCIDR(entry);
      return `${network.toString()}/${bits}`;
    });
}
