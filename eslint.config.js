// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'charts/**', 'grafana/**/*.json', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'simulator/cli.ts', '**/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  ...importBoundaries(),
);

/**
 * Which top-level folder may import which (docs/architecture.md draws it). Each entry lists the
 * folders a folder's production code must NOT import; tests are free to reach anywhere, and
 * `scripts/` and `bench/` are tools above everything. `scripts/architecture.test.ts` proves
 * the resulting folder graph has no cycle.
 */
function importBoundaries() {
  /** The simulated platform, apart from the policies that drive it (simulator/policies.ts, run.ts and the reports). */
  const SIMULATOR_MODEL_FILES = [
    'simulator/model.ts',
    'simulator/cluster.ts',
    'simulator/pod-queue.ts',
    'simulator/workload.ts',
    'simulator/traces.ts',
    'simulator/held-out.ts',
    'simulator/random.ts',
    'simulator/hpa.ts',
  ];

  const forbidden = {
    core: ['domain', 'api', 'workers', 'operator', 'cdk8s', 'alerts', 'grafana', 'simulator', 'platform-api'],
    domain: ['api', 'workers', 'operator', 'cdk8s', 'alerts', 'grafana', 'simulator'],
    api: ['workers', 'operator', 'cdk8s', 'alerts', 'grafana', 'simulator'],
    workers: ['api', 'operator', 'cdk8s', 'alerts', 'grafana', 'simulator'],
    'platform-api': ['api', 'domain', 'workers', 'operator', 'cdk8s', 'alerts', 'grafana', 'simulator'],
    alerts: ['api', 'domain', 'workers', 'operator', 'cdk8s', 'grafana', 'simulator'],
    grafana: ['api', 'domain', 'workers', 'operator', 'cdk8s', 'simulator'],
    cdk8s: ['api', 'domain', 'workers', 'operator', 'grafana', 'simulator'],
    operator: ['api', 'domain', 'workers', 'simulator'],
    simulator: ['api', 'domain', 'workers', 'cdk8s'],
  };
  const testingIsForTests = {
    regex: '(^|/)testing/',
    message: 'testing/ holds test helpers: only tests (and scripts/, bench/) import it.',
  };
  return [
    ...Object.entries(forbidden).map(([folder, folders]) => ({
      files: [`${folder}/**/*.ts`],
      ignores: ['**/*.test.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./)+(${folders.join('|')})/`,
                message: `${folder}/ must not import ${folders.join(', ')} (see docs/architecture.md).`,
              },
              testingIsForTests,
              ...(folder === 'simulator'
                ? [
                    {
                      regex: '^(\\.\\./)+operator/autoscaler/(?!index\\.js$)',
                      message: 'The simulator reaches the autoscaling policy only through operator/autoscaler/index.ts.',
                    },
                  ]
                : []),
            ],
          },
        ],
      },
    })),
    {
      // The simulated platform is written without the policy's maths: its model files import
      // nothing from operator/autoscaler, not even its index (tests included).
      files: SIMULATOR_MODEL_FILES,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./)+(${forbidden.simulator.join('|')})/`,
                message: `simulator/ must not import ${forbidden.simulator.join(', ')} (see docs/architecture.md).`,
              },
              testingIsForTests,
              {
                regex: '(^|/)operator/autoscaler(/|$)',
                message: "The simulator's model shares no code or maths with the policy: it must not import operator/autoscaler.",
              },
            ],
          },
        ],
      },
    },
    {
      files: ['operator/**/*.ts'],
      ignores: ['operator/autoscaler/**', '**/*.test.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: '^(\\.\\./)+(api|domain|workers|simulator)/',
                message: 'operator/ must not import api, domain, workers, simulator.',
              },
              testingIsForTests,
              {
                regex: '(^|/)autoscaler/(?!index\\.js$)',
                message: 'Outside operator/autoscaler/, import the policy from operator/autoscaler/index.ts.',
              },
            ],
          },
        ],
      },
    },
  ];
}
