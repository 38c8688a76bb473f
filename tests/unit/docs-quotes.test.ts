/** docs/auth.md quotes the watchlist page's real code; the quote must not drift from it. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

test("docs/auth.md's example is the watchlist page's action, verbatim", () => {
	const doc = readFileSync('docs/auth.md', 'utf8');
	const source = readFileSync('src/routes/(app)/watchlist/+page.server.ts', 'utf8');
	const section = doc.slice(doc.indexOf('## Calling TMDB as the signed-in person'));
	const quoted = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
	expect(quoted).toContain('requireUser()');
	expect(source).toContain(quoted);
});
