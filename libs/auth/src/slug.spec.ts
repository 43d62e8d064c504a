import { toSlug } from './slug';

describe('toSlug', () => {
  it.each([
    ['Tech@Startup', 'tech-startup'],
    ['  Acme   Corp  ', 'acme-corp'],
    ['Café Münster', 'cafe-munster'],
    ['a--b__c', 'a-b-c'],
    ['!!!', ''],
  ])('%s -> %s', (name, slug) => {
    expect(toSlug(name)).toBe(slug);
  });

  it('never ends in a hyphen after truncation', () => {
    const slug = toSlug(`${'a'.repeat(99)} b`);
    expect(slug.length).toBeLessThanOrEqual(100);
    expect(slug.endsWith('-')).toBe(false);
  });
});
