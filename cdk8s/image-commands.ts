/**
 * The processes the platform's one image runs, as container commands. The image's working
 * directory is the root of the runtime tree (`dist/` and production `node_modules/`), and node runs
 * the compiled entry point directly: it is PID 1 and receives the kubelet's SIGTERM itself (npm
 * or a shell in between would swallow it), and nothing needs to be written to compile TypeScript.
 */
export const IMAGE_COMMANDS = {
  api: ['node', 'dist/api/main.js'],
  workers: ['node', 'dist/workers/main.js'],
  operator: ['node', 'dist/operator/main.js'],
  /** Brings the schema to the latest version, waiting on an advisory lock for any other run. */
  migrate: ['node', 'dist/scripts/migrate.js'],
} as const satisfies Record<string, readonly string[]>;

export type ImageProcess = keyof typeof IMAGE_COMMANDS;

export const imageCommand = (process: ImageProcess): string[] => [...IMAGE_COMMANDS[process]];
