/**
 * The data sizes `npm run bench` measures at. `BENCH_SCALE=large` is ten times the default (the
 * size where a path whose cost grows with its table shows it); each scale has its own database,
 * seeded once inside Postgres (generate_series, no rows through Node) and reused by later runs.
 */
export type BenchScaleName = 'default' | 'large';

export interface BenchScale {
  name: BenchScaleName;
  students: number;
  accessLogs: number;
  /** The database the API benchmarks run against (created and seeded on first use). */
  database: string;
}

const SCALES: Record<BenchScaleName, Omit<BenchScale, 'name'>> = {
  default: { students: 100_000, accessLogs: 1_000_000, database: 'pp_bench' },
  large: { students: 1_000_000, accessLogs: 10_000_000, database: 'pp_bench_large' },
};

/** The scale named by BENCH_SCALE (default `default`); BENCH_STUDENTS still overrides the student count. */
export function benchScale(env: NodeJS.ProcessEnv = process.env): BenchScale {
  const name = (env.BENCH_SCALE ?? 'default') as BenchScaleName;
  const scale = SCALES[name];
  if (!scale) throw new Error(`BENCH_SCALE must be one of ${Object.keys(SCALES).join(', ')}; got ${name}`);
  return { name, ...scale, students: Number(env.BENCH_STUDENTS ?? scale.students) };
}
