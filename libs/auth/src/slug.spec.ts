import { toSlug } from './slug';

describe('toSlug', () => {
  it.each([
    ['Tech@Startup', 'tech-startup'],
    ['  Acme   Corp  ', 'acme-corp'],
    ['Café Münster', 'cafe-munster'],
    ['a--b__c', 'a-b-c'],
    ['!!!', ''],
    ['Компания Ромашка', 'компания-ромашка'],
    ['東京 株式会社', '東京-株式会社'],
    ['Ελληνική Εταιρεία', 'ελληνικη-εταιρεια'],
    ['١٢٣ شركة', '١٢٣-شركة'],
  ])('%s -> %s', (name, slug) => {
    expect(toSlug(name)).toBe(slug);
  });

  it('never ends in a hyphen after truncation', () => {
    const slug = toSlug(`${'a'.repeat(99)} b`);
    expect(slug.length).toBeLessThanOrEqual(100);
    expect(slug.endsWith('-')).toBe(false);
  });

  it('cuts by code points: a letter outside the BMP is never split into a lone surrogate', () => {
    const slug = toSlug('𝒜'.repeat(150));
    expect(Array.from(slug)).toHaveLength(100);
    expect(slug).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
