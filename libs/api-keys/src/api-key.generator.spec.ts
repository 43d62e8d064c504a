import { apiKeyHash, API_KEY_PATTERN, presentedApiKey } from '@app/auth';
import { generateApiKey, randomBase62 } from './api-key.generator';

describe('API key generation', () => {
  it('makes egk_live_ + 43 base62 characters, with the first 15 as the prefix', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { key, prefix } = generateApiKey();
      expect(key).toMatch(API_KEY_PATTERN);
      expect(key).toHaveLength(52);
      expect(prefix).toBe(key.slice(0, 15));
      expect(prefix).toMatch(/^egk_live_[0-9A-Za-z]{6}$/);
      keys.add(key);
    }
    expect(keys.size).toBe(200);
  });

  it('rejects bytes from 248 up instead of folding them (no modulo bias)', () => {
    // 248..255 would map to 0..7 with a plain modulo, making those characters more likely.
    const draws = [Buffer.from([248, 255, 250, 0, 61, 62, 247, 249]), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])];
    const random = () => draws.shift() ?? Buffer.alloc(16, 1);
    expect(randomBase62(6, random)).toBe('0z0z12');
  });

  it('draws every character about equally often', () => {
    const counts = new Map<string, number>();
    const text = randomBase62(62 * 500);
    for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 500 each; a biased generator (x % 62 over all bytes) gives 0..7 about 625.
    for (const count of counts.values()) expect(count).toBeLessThan(600);
  });
});

describe('presented API keys', () => {
  const { key } = generateApiKey();
  const request = (headers: Record<string, string>) => ({ headers }) as never;

  it('reads X-API-Key and Authorization: ApiKey in any letter case', () => {
    expect(presentedApiKey(request({ 'x-api-key': key }))).toBe(key);
    for (const scheme of ['ApiKey', 'apikey', 'APIKEY', 'aPiKeY']) {
      expect(presentedApiKey(request({ authorization: `${scheme} ${key}` }))).toBe(key);
    }
  });

  it('refuses malformed keys, other schemes and two different keys at once', () => {
    expect(presentedApiKey(request({ 'x-api-key': key.slice(0, -1) }))).toBeNull();
    expect(presentedApiKey(request({ 'x-api-key': `${key}x` }))).toBeNull();
    expect(presentedApiKey(request({ authorization: `Bearer ${key}` }))).toBeNull();
    expect(presentedApiKey(request({ authorization: `ApiKey${key}` }))).toBeNull();
    expect(presentedApiKey(request({ 'x-api-key': key, authorization: `ApiKey ${generateApiKey().key}` }))).toBeNull();
    expect(presentedApiKey(request({ 'x-api-key': key, authorization: `ApiKey ${key}` }))).toBe(key);
    expect(presentedApiKey(request({}))).toBeNull();
  });

  it('hashes with SHA-256, hex', () => {
    expect(apiKeyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
