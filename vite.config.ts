import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	test: {
		// Vitest only counts skipped tests; the second reporter says which, and why.
		reporters: ['default', './tests/support/skip-reasons-reporter.ts'],
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['tests/unit/**/*.test.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.test.ts'],
					environment: 'node',
					// Embedded PostgreSQL serves one connection at a time, so there test files run one by
					// one. A PostgreSQL server gives each file a database of its own, and most of a file's
					// time is spent waiting on the processes it starts, so four run at once.
					fileParallelism: Boolean(process.env.TEST_DATABASE_URL),
					maxWorkers: process.env.TEST_DATABASE_URL ? 4 : 1,
					testTimeout: 30_000,
					hookTimeout: 60_000
				}
			}
		]
	}
});
