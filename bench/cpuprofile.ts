/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) into folded stacks — one line per
 * distinct stack, `frame;frame;frame <sample count>` — the input every flame graph renderer
 * takes (docs/perf/README.md renders them with inferno-flamegraph), and sums self time by package,
 * which is how a start-up profile is read.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds on the monotonic clock (the clock of `process.hrtime`, shared by every process of the machine). */
  startTime?: number;
  /** Microseconds from the previous sample (the first: from `startTime`). */
  timeDeltas?: number[];
}

/** Part of a profile's time, in microseconds of the monotonic clock: `monotonicMicros()` of any process. */
export interface SampleWindow {
  fromUs: number;
  toUs: number;
}

/** Now on the clock a CPU profile's sample times are on (Linux: CLOCK_MONOTONIC), in microseconds. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The profile with only the samples taken inside `window` (e.g. the load, without the set-up before it). */
export function samplesWithin(profile: CpuProfile, window: SampleWindow): CpuProfile {
  if (profile.startTime === undefined || !profile.timeDeltas) throw new Error('the profile carries no sample times');
  const samples: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((sample, index) => {
    at += profile.timeDeltas?.[index] ?? 0;
    if (at >= window.fromUs && at <= window.toUs) samples.push(sample);
  });
  return { nodes: profile.nodes, samples };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

/** `node_modules/<package>` (scoped packages included), the project folder, or `node:` for Node's own code. */
export function owner(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node:';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1]) return inModules[1];
  const inProject = /\/(dist\/)?(api|core|domain|workers|operator|bench|scripts|testing)\//.exec(url);
  return inProject ? `${inProject[2]}/` : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  // Package-relative or project-relative, never the machine's own path.
  const file = url
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/dist\//, '')
    .replace(/^file:\/\/.*?\/(api|core|domain|platform-api|bench|scripts|testing|workers)\//, '$1/');
  // Semicolons separate frames in the folded format.
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`.replaceAll(';', ',');
}

/** Folded stacks of every sample, idle and GC included (they are part of where the time went). */
export function foldStacks(profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const counts = new Map<number, number>();
  for (const sample of profile.samples) counts.set(sample, (counts.get(sample) ?? 0) + 1);
  const lines: string[] = [];
  for (const [id, count] of counts) {
    const frames: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node && node.callFrame.functionName !== '(root)') frames.push(frameName(node));
    }
    lines.push(`${frames.reverse().join(';')} ${count}`);
  }
  return `${lines.sort().join('\n')}\n`;
}

/** Share of samples whose own frame (self time) belongs to each package, largest first. */
export function selfTimeByOwner(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  for (const sample of profile.samples) {
    const node = byId.get(sample);
    const name = node
      ? ['(idle)', '(program)', '(garbage collector)'].includes(node.callFrame.functionName)
        ? node.callFrame.functionName
        : owner(node.callFrame.url)
      : '?';
    totals.set(name, (totals.get(name) ?? 0) + 1);
  }
  return [...totals].map(([name, n]): [string, number] => [name, n / profile.samples.length]).sort((a, b) => b[1] - a[1]);
}

/** Share of samples spent inside (self or below) frames of each package: what loading or calling it costs. */
export function inclusiveTimeByOwner(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  for (const sample of profile.samples) {
    const seen = new Set<string>();
    for (let at: number | undefined = sample; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node?.callFrame.url) seen.add(owner(node.callFrame.url));
    }
    for (const name of seen) totals.set(name, (totals.get(name) ?? 0) + 1);
  }
  return [...totals].map(([name, n]): [string, number] => [name, n / profile.samples.length]).sort((a, b) => b[1] - a[1]);
}

if (process.argv[1]?.endsWith('cpuprofile.ts')) {
  const [command, path] = process.argv.slice(2);
  if (!path || !['fold', 'owners'].includes(command ?? '')) {
    console.error('usage: tsx bench/cpuprofile.ts fold|owners <file.cpuprofile>');
    process.exit(2);
  }
  const profile = readProfile(path);
  if (command === 'fold') process.stdout.write(foldStacks(profile));
  else {
    console.log('self time by package:');
    for (const [name, share] of selfTimeByOwner(profile).slice(0, 25)) console.log(`  ${(share * 100).toFixed(1).padStart(5)} %  ${name}`);
    console.log('inclusive time by package:');
    for (const [name, share] of inclusiveTimeByOwner(profile).slice(0, 25))
      console.log(`  ${(share * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
}
