/** What `npm start` prints once everything is up: where things are and what to try first. */
import { DEMO_ACCOUNTS, DEMO_PASSWORD, type DemoDataOutcome } from './demo-data.js';

export interface BannerInput {
  /** The API's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** What happened to demo data; undefined when the database was configured from outside. */
  demo?: DemoDataOutcome;
  /** Where the embedded services keep their data, when they are embedded. */
  dataDir?: string;
}

/** The README's own first steps, with this run's URL: log in, keep the token, search. */
export function tryCommands(url: string): string[] {
  const body = JSON.stringify({ email: 'staff@university.edu', password: DEMO_PASSWORD });
  return [
    `TOKEN=$(curl -s ${url}/auth/login -H 'content-type: application/json' -d '${body}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).data.token')`,
    `curl -s '${url}/students/search?q=john&limit=5' -H "authorization: Bearer $TOKEN"`,
  ];
}

function demoLines(input: BannerInput): string[] {
  const accounts = `Demo accounts (password ${DEMO_PASSWORD}): ${DEMO_ACCOUNTS.join(', ')}`;
  switch (input.demo) {
    case 'loaded':
    case 'kept-existing-data':
      return [
        input.demo === 'loaded' ? 'Demo data loaded on this first start.' : 'Using the data from an earlier start.',
        accounts,
        '',
        'Try:',
        ...tryCommands(input.url).map((command) => `  ${command}`),
      ];
    case 'refused-in-production':
      return ['NODE_ENV=production: no demo data was loaded.'];
    default:
      return ['The database was configured from outside: no demo data was loaded (`npm run seed` adds it).'];
  }
}

export function startBanner(input: BannerInput): string {
  return [
    '',
    `PassPlatform is running at ${input.url}`,
    '',
    `  API reference  ${input.url}/docs   (OpenAPI document: ${input.url}/openapi.json)`,
    `  Health         ${input.url}/health   Readiness ${input.url}/ready   Metrics ${input.url}/metrics`,
    ...(input.dataDir ? [`  Data           ${input.dataDir} (delete it to start again from nothing)`] : []),
    `  Docs           README.md (quick start, configuration, load testing), docs/adr/ (design decisions)`,
    '',
    ...demoLines(input),
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}
