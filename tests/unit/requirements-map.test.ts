/**
 * docs/requirements.md maps every requirement id to the tests whose titles name it. This keeps
 * the map true: each test or describe title that starts with ids (such as R6.5) must be listed,
 * under each of its ids, with its file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const ID = /R\d+\.\d+/g;
/** A string literal that opens a title: quotes, or a backtick without interpolation. */
const TITLE = /(['"`])(R\d+\.\d+ (?:(?!\1)[^\\\n]|\\.)*)\1/g;

function testFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const file = path.join(dir, name);
		if (statSync(file).isDirectory()) return testFiles(file);
		return /\.test\.ts$/.test(name) ? [file] : [];
	});
}

function sections(doc: string): Map<string, string> {
	const byId = new Map<string, string>();
	for (const part of doc.split(/^### /m).slice(1)) {
		const id = part.slice(0, part.indexOf('\n')).trim();
		byId.set(id, part);
	}
	return byId;
}

test('every requirement id named in a test title is mapped to that test in docs/requirements.md', () => {
	const doc = sections(readFileSync('docs/requirements.md', 'utf8'));
	const missing: string[] = [];
	for (const file of testFiles('tests')) {
		const source = readFileSync(file, 'utf8');
		for (const [, , title] of source.matchAll(TITLE)) {
			if (title!.includes('${')) continue;
			for (const id of new Set(title!.match(ID))) {
				const section = doc.get(id);
				if (!section?.includes(`\`${file}\``) || !section.includes(title!)) {
					missing.push(`${id}: \`${file}\`: ${title}`);
				}
			}
		}
	}
	expect(missing).toEqual([]);
});
