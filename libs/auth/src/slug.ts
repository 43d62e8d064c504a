/**
 * Organization slug: lowercase, Latin accents folded ("Café" -> "cafe"), letters and digits of
 * any script kept ("Компания" -> "компания"), every run of other characters one hyphen, no
 * hyphen at either end, at most 100 characters ("Tech@Startup" -> "tech-startup").
 */
export function toSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  // Cut by code points, so a letter outside the BMP is never split into half a surrogate pair.
  return Array.from(slug).slice(0, 100).join('').replace(/-+$/g, '');
}
