/**
 * The patch semantics the API server offers: JSON merge patch (RFC 7386), strategic merge patch
 * (merge patch whose object lists merge by their key, with `$patch: delete`), and server-side
 * apply, approximated without managedFields: the applied configuration merges into the live
 * object, and fields this manager applied before but no longer applies are removed.
 */
type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** The keys Kubernetes merges object lists by (containers by name, ports by port …), in the order tried. */
const MERGE_KEYS = ['name', 'containerPort', 'port', 'mountPath', 'devicePath', 'type', 'uid', 'ip'];

/** The merge key of a list when every item in both lists is an object that has it; else the list is atomic. */
function mergeKeyOf(...lists: Json[][]): string | undefined {
  const items = lists.flat();
  if (items.length === 0 || !items.every(isObject)) return undefined;
  return MERGE_KEYS.find((k) => items.every((i) => (i as JsonObject)[k] !== undefined));
}

function mergeList(live: Json[], patch: Json[], deep: (a: Json, b: Json) => Json): Json[] {
  const key = mergeKeyOf(live, patch);
  if (!key) return structuredClone(patch).filter((i) => !(isObject(i) && i.$patch === 'delete'));
  const out = [...live];
  for (const item of patch as JsonObject[]) {
    const at = out.findIndex((l) => (l as JsonObject)[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = deep(out[at], item);
    else out.push(deep(undefined, item));
  }
  return out;
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (Array.isArray(patch)) return mergeList(Array.isArray(target) ? target : [], patch, strategicMergePatch);
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // Directives such as $setElementOrder/… and $retainKeys only order or narrow what is sent.
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else out[key] = strategicMergePatch(out[key], value);
  }
  return out;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !k.startsWith('$'))
      .map(([k, v]) => [k, stripDirectives(v)]),
  );
}

/** Removes from `live` what `previous` applied and `next` no longer does. */
function dropUnapplied(live: Json, previous: Json, next: Json): Json {
  if (isObject(live) && isObject(previous)) {
    const out = { ...live };
    for (const key of Object.keys(previous)) {
      if (!isObject(next) || !(key in next)) delete out[key];
      else out[key] = dropUnapplied(out[key], previous[key], next[key]);
    }
    return out;
  }
  if (Array.isArray(live) && Array.isArray(previous) && Array.isArray(next)) {
    const key = mergeKeyOf(live, previous, next);
    if (!key) return live;
    const applied = new Map((next as JsonObject[]).map((i) => [i[key], i]));
    const before = new Map((previous as JsonObject[]).map((i) => [i[key], i]));
    return (live as JsonObject[])
      .filter((item) => !before.has(item[key]) || applied.has(item[key]))
      .map((item) => (before.has(item[key]) ? dropUnapplied(item, before.get(item[key]), applied.get(item[key])) : item));
  }
  return live;
}

/**
 * Server-side apply of `applied` by one field manager onto `live` (undefined when creating);
 * `previous` is what the same manager applied last time.
 */
export function serverSideApply(live: Json, applied: JsonObject, previous: JsonObject | undefined): JsonObject {
  const base = previous && live !== undefined ? dropUnapplied(live, previous, applied) : live;
  return strategicMergePatch(base, applied) as JsonObject;
}
