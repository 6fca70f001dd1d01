/**
 * `tsx simulator/seeds-in-parallel.ts 1 2 3 4 5`: runs the simulator once per seed, each in a process
 * of its own, and prints their reports (whole, as JSON, in the order given). The five seeds of
 * `npm run generate -- simulation` then take the time of the slowest one, not of all five.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SimulationReport } from './report.js';

const run = promisify(execFile);

export async function simulateSeedsInParallel(seeds: readonly number[]): Promise<SimulationReport[]> {
  const outputs = await Promise.all(
    seeds.map((seed) =>
      run(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', '--seed', String(seed), '--full-json', '--plots', 'none'], {
        maxBuffer: 1024 * 2 ** 20,
      }),
    ),
  );
  return outputs.flatMap(({ stdout }) => JSON.parse(stdout) as SimulationReport[]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seeds = process.argv.slice(2).map(Number);
  process.stdout.write(`${JSON.stringify(await simulateSeedsInParallel(seeds))}\n`);
}
