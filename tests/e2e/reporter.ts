/**
 * Beside Playwright's list: at the end of a run, the skipped tests grouped by the reason they
 * give, and, only when a test failed, the log lines of the apps under test (serve.ts writes them
 * to files, so a passing run's output holds none).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { SERVER_LOG_DIR } from './ports.ts';

export default class E2eReporter implements Reporter {
	private readonly skipped = new Map<string, number>();

	onTestEnd(test: TestCase, result: TestResult): void {
		if (result.status !== 'skipped') return;
		// Without a skip of its own, the test was not run: an earlier one in its serial group failed.
		const reason =
			[...result.annotations, ...test.annotations].find((note) => note.type === 'skip')
				?.description ?? 'not run, as an earlier test of its group failed';
		const key = `${path.basename(test.location.file)}: ${reason}`;
		this.skipped.set(key, (this.skipped.get(key) ?? 0) + 1);
	}

	onEnd(result: FullResult): void {
		if (this.skipped.size > 0) {
			const lines = [...this.skipped].map(([key, count]) => `  ↓ ${count} × ${key}`);
			console.log(`\nSkipped, and why:\n${lines.join('\n')}`);
		}
		if (result.status === 'passed' || !existsSync(SERVER_LOG_DIR)) return;
		for (const file of readdirSync(SERVER_LOG_DIR).filter((name) => name.endsWith('.log'))) {
			const text = readFileSync(path.join(SERVER_LOG_DIR, file), 'utf8').trim();
			console.log(`\n== ${file} (the app's log lines, as a test failed)\n${text || '(empty)'}`);
		}
	}
}
