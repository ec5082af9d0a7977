import { defineConfig } from 'vitest/config'

// Two tiers: unit tests run anywhere; privileged tests build real namespaces (root, as in CI) and run one file at a
// time so their labs and traffic do not compete for the two cores.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'privileged',
          include: ['test/privileged/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
