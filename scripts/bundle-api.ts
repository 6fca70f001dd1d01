/**
 * `tsx scripts/bundle-api.ts [dist]` (the second half of `npm run build`): bundles the compiled API
 * (`<dist>/api/run.js` and every module it imports, node_modules included) into one file,
 * `<dist>/api/run.bundle.mjs`, which `node dist/api/main.js` loads instead of the thousand files
 * behind it. A cold start spent about half its CPU finding, reading and compiling those files
 * (docs/perf/README.md#cold-start); one file halves it. Left out and loaded from node_modules as
 * usual: native addons, and the database drivers knex can load but this platform never uses.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** Packages the bundle leaves to node_modules. */
export const UNBUNDLED = [
  // A native addon (.node): loaded by Node itself.
  '@node-rs/argon2',
  // Dialects and drivers knex requires only when configured for them (this platform runs Postgres on `pg`).
  'sqlite3',
  'better-sqlite3',
  'tedious',
  'mysql',
  'mysql2',
  'mariadb',
  'oracledb',
  'pg-query-stream',
  'pg-native',
];

export async function bundleApi(distDir: string): Promise<string> {
  const outfile = join(distDir, 'api/run.bundle.mjs');
  await build({
    entryPoints: [join(distDir, 'api/run.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: UNBUNDLED,
    // CommonJS packages inside an ES module bundle still call require() for Node's built-ins and the packages above.
    banner: {
      js: "import { createRequire as bundleCreateRequire } from 'node:module'; const require = bundleCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const outfile = await bundleApi(resolve(process.argv[2] ?? 'dist'));
  console.log(`bundled the API: ${outfile} (${(statSync(outfile).size / 1e6).toFixed(1)} MB)`);
}
