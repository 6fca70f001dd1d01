/** Label and field selectors as list and watch requests carry them. */

type Requirement = (labels: Record<string, string>) => boolean;

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h` into one predicate. */
export function parseLabelSelector(selector: string | null): Requirement {
  if (!selector) return () => true;
  const parts = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  const requirements = parts.map((raw): Requirement => {
    const part = raw.trim();
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()));
      return op === 'in' ? (l) => key in l && values.has(l[key] as string) : (l) => !(key in l) || !values.has(l[key] as string);
    }
    m = /^([^!=]+)(==|=|!=)(.*)$/.exec(part);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l) => l[key.trim()] !== value.trim() : (l) => l[key.trim()] === value.trim();
    }
    if (part.startsWith('!')) return (l) => !(part.slice(1) in l);
    return (l) => part in l;
  });
  return (labels) => requirements.every((r) => r(labels));
}

/** Parses `metadata.name=x,involvedObject.uid!=y` (dotted paths into the object). */
export function parseFieldSelector(selector: string | null): (object: unknown) => boolean {
  if (!selector) return () => true;
  const checks = selector.split(',').map((part) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(part.trim());
    if (!m) return () => true;
    const [, path, op, value] = m as unknown as [string, string, string, string];
    const read = (o: unknown) =>
      path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
    return (o: unknown) => (String(read(o) ?? '') === value) === (op !== '!=');
  });
  return (o) => checks.every((c) => c(o));
}
