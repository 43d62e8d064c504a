/**
 * Organization slug: lowercase, accents folded, every run of other characters one hyphen,
 * no hyphen at either end ("Tech@Startup" -> "tech-startup").
 */
export function toSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/g, '');
}
