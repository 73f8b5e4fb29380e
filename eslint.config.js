import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vendorModules = [
  'hono',
  'hono/*',
  '@hono/*',
  'pg',
  'kysely',
  '@electric-sql/*',
  '@aws-sdk/*',
  'node:http',
  'node:http2',
  'hash-wasm',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'data/',
      'dist/',
      'cdk.out/',
      '.bench/',
      'functions/console/src/api/schema.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core: OCI model, registry logic, identity and access, errors and
    // ports. It knows no vendor, no runtime and no environment; adapters are
    // injected.
    files: [
      'shared/oci/**',
      'shared/registry/**',
      'shared/access/**',
      'shared/errors/**',
      'shared/ports/**',
      'shared/notifications/**',
      'shared/workers/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: vendorModules, message: 'The core talks to the world through ports only.' },
            {
              group: ['**/adapters/**', '**/http/**', '**/config/**', '**/functions/**'],
              message: 'The core imports only ports and errors.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Configuration is parsed at the entry point and passed down.',
        },
      ],
    },
  },
  {
    // HTTP routes call the core, never a store.
    files: ['shared/http/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**', 'pg', 'kysely', '@electric-sql/*', '@aws-sdk/*'],
              message: 'Routes call the core, never a store.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Configuration is parsed at the entry point and passed down.',
        },
      ],
    },
  },
  {
    files: ['shared/adapters/**', 'shared/config/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Configuration is parsed at the entry point and passed down.',
        },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'MemberExpression[object.name=/^(it|describe|test)$/][property.name=/^(only|skip|todo)$/]',
          message:
            'Focused or skipped tests must not land; use skipUnlessAvailable for optional tools.',
        },
      ],
    },
  },
  {
    // The web console runs in the browser and speaks only the public REST API.
    files: ['functions/console/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/shared/**', '**/functions/local/**', '**/functions/aws/**', 'node:*'],
              message:
                'The console knows the registry only through /api/v1 and its generated types.',
            },
          ],
        },
      ],
    },
  },
);
