// ESLint flat config. The one rule that matters most: the protocol cores stay
// pure (STYLE.md §2) — no sockets, files, timers, clocks or randomness.
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

const impure = {
  paths: ['node:net', 'node:dgram', 'node:fs', 'node:fs/promises', 'node:timers', 'node:timers/promises',
    'net', 'dgram', 'fs', 'fs/promises', 'timers', 'node:child_process', 'child_process'],
  globals: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'performance'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**', 'native/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // A regular expression that backtracks super-linearly on a peer-chosen
    // string (a user name, a Host Name in a log line) freezes the event loop
    // (issue 12, finding 1): none is allowed anywhere.
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
  {
    files: ['src/wire/**/*.ts', 'src/ppp/**/*.ts', 'src/pptp/**/*.ts', 'src/l2tp/**/*.ts', 'src/radius/**/*.ts', 'src/core/**/*.ts', 'src/ipsec/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: impure.paths.map((name) => ({ name, message: 'protocol cores are sans-I/O: do I/O in src/io/' })) }],
      'no-restricted-globals': ['error', ...impure.globals.map((name) => ({ name, message: 'protocol cores take time and timers from the driver' }))],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'take `now` from the driver' },
        { object: 'Math', property: 'random', message: 'use the injected Rng' },
        { object: 'crypto', property: 'randomBytes', message: 'use the injected Rng' }],
    },
  },
);
