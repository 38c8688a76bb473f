/**
 * After a Vitest run, names every skipped test or group with its title, which says why it is
 * skipped ("needs TEST_DATABASE_URL ..."): Vitest's own report only counts them ("7 skipped").
 */
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';

export default class SkipReasonsReporter implements Reporter {
	private vitest: Vitest | undefined;

	onInit(vitest: Vitest): void {
		this.vitest = vitest;
	}

	onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
		const lines: string[] = [];
		const visit = (file: string, children: Iterable<TestSuite | TestCase>) => {
			for (const child of children) {
				if (child.type === 'suite' && child.state() === 'skipped') {
					const count = [...child.children.allTests()].length;
					lines.push(`${file} > ${child.fullName} (${count} test${count === 1 ? '' : 's'})`);
				} else if (child.type === 'suite') {
					visit(file, child.children);
				} else if (child.result().state === 'skipped') {
					const { note } = child.result() as { note?: string };
					lines.push(`${file} > ${child.fullName}${note ? ` (${note})` : ''}`);
				}
			}
		};
		for (const module of modules) visit(module.relativeModuleId, module.children);
		if (lines.length === 0) return;
		this.vitest?.logger.log(
			`\nSkipped, and why (in the title):\n${lines.map((line) => `  ↓ ${line}`).join('\n')}`
		);
	}
}
