// Lint: typescript-eslint's recommended rules (type-aware where cheap), Prettier owns the
// layout, and the layers of src/ are enforced: the pure half (model, rules, presentation)
// never reaches into collection, sockets, DNS or the fronts; config sits below collection.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Imports the pure half must never make: collection (sockets, DNS, TLS), node's network modules, the fronts. */
const IO_AND_FRONTS = [
  { regex: '(^|/)collect/', message: 'The pure half (model, rules, presentation) must not import collection.' },
  { regex: '(^|/)cli/', message: 'Only the entry point may import the CLI.' },
  { regex: '(^|/)server/', message: 'Only the entry point and the CLI may import the server.' },
  { regex: '(^|/)demo/', message: 'The demo world starts servers: only the fronts and the entry point start it.' },
  // node:tls stays allowed: its checkServerIdentity() is a pure function smtp.tls_quality uses.
  { regex: '^node:(net|dns|dgram|http|https|child_process)$', message: 'The pure half does no I/O.' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/interop/.mta/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test(), it() and describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      'no-control-regex': 'off', // sanitising control characters is what several regexes are for
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['eslint.config.js', 'bin/**'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src/model/**', 'src/rules/**', 'src/presentation/**'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: { 'no-restricted-imports': ['error', { patterns: IO_AND_FRONTS }] },
  },
  {
    files: ['src/model/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...IO_AND_FRONTS,
            {
              regex: '(^|/)(config|rules|presentation)/',
              message: 'The model is the bottom layer: it imports nothing of ours above it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/config/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...IO_AND_FRONTS.filter((p) => !p.regex.startsWith('^node')),
            { regex: '(^|/)(rules|presentation)/', message: 'Configuration sits below rules and presentation.' },
          ],
        },
      ],
    },
  },
  {
    // The batch engine sits on collection, rules and presentation; the fronts (cli, server) sit on it.
    files: ['src/fleet/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)(cli|server)/', message: 'The batch engine knows nothing of the fronts.' }] },
      ],
    },
  },
  {
    files: ['src/collect/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(rules|presentation|cli|server|demo)/',
              message: 'Collection knows nothing of rules, presentation, the fronts or the demo world.',
            },
          ],
        },
      ],
    },
  },
  {
    // The demo world is servers on loopback for the checker to check: it knows nothing of the checker.
    files: ['src/demo/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(config|collect|rules|presentation|cli|server)/',
              message: 'The demo world imports nothing of the checker but the model.',
            },
          ],
        },
      ],
    },
  },
);
