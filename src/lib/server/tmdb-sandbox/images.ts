/**
 * The sandbox's images, generated as SVG so it needs no files and no internet, served at
 * `/t/p/{size}/{file}` like TMDB's image CDN: account avatars (square) and movie posters (2:3,
 * as TMDB's are, named `sandbox-poster-{id}.svg`).
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../status-page.ts';
import { findSandboxAvatar, type SandboxAccount } from './accounts.ts';
import { findSandboxMovieByPoster, type SandboxMovie } from './watchlists.ts';

const SIZE = /^(?:[wh](\d{2,4})|original)$/;
const ORIGINAL_SIZE = 500;
const MAX_LINE_LENGTH = 14;

/** The image for `/t/p/{size}/{file}`, or null when there is no such image or size. */
export function imageResponse(size: string, file: string): Response | null {
	const sizeMatch = SIZE.exec(size);
	if (!sizeMatch) return null;
	const pixels = sizeMatch[1] ? Math.min(Number(sizeMatch[1]), 2000) : ORIGINAL_SIZE;
	const movie = findSandboxMovieByPoster(file);
	const account = movie ? undefined : findSandboxAvatar(file);
	const svg = movie ? posterSvg(movie, pixels) : account ? avatarSvg(account, pixels) : null;
	if (svg === null) return null;
	return new Response(svg, {
		headers: {
			'content-type': 'image/svg+xml',
			'cache-control': 'public, max-age=86400',
			// An SVG opened directly is a document; it needs nothing beyond its own attributes.
			'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'"
		}
	});
}

export function avatarSvg(account: SandboxAccount, pixels: number): string {
	const hue = createHash('sha256').update(account.username).digest().readUInt16BE(0) % 360;
	const initials = (account.name || account.username)
		.split(/\s+/)
		.map((word) => word.slice(0, 1).toUpperCase())
		.join('')
		.slice(0, 2);
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${pixels}" height="${pixels}" viewBox="0 0 100 100" role="img" aria-label="${escapeHtml(account.username)}">
<rect width="100" height="100" fill="hsl(${hue} 55% 42%)"/>
<circle cx="50" cy="50" r="38" fill="hsl(${hue} 60% 55%)"/>
<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="system-ui, sans-serif" font-size="34" font-weight="700" fill="#fff">${escapeHtml(initials)}</text>
</svg>`;
}

/** Greedy word wrap into at most four lines, so long titles stay on the poster. */
function wrapTitle(title: string): string[] {
	const lines: string[] = [];
	for (const word of title.split(/\s+/)) {
		const last = lines.at(-1);
		if (last !== undefined && `${last} ${word}`.length <= MAX_LINE_LENGTH) {
			lines[lines.length - 1] = `${last} ${word}`;
		} else {
			lines.push(word);
		}
	}
	return lines.slice(0, 4);
}

export function posterSvg(entry: SandboxMovie, width: number): string {
	const hue = (entry.id * 47) % 360;
	const lines = wrapTitle(entry.title);
	const year = entry.releaseDate.slice(0, 4);
	const text = lines
		.map(
			(line, index) =>
				`<text x="100" y="${120 + index * 26}" text-anchor="middle" font-family="Georgia, serif" font-size="22" font-weight="700" fill="#fff">${escapeHtml(line)}</text>`
		)
		.join('\n');
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.round(width * 1.5)}" viewBox="0 0 200 300" role="img" aria-label="${escapeHtml(entry.title)}">
<rect width="200" height="300" fill="hsl(${hue} 45% 22%)"/>
<rect x="12" y="12" width="176" height="276" fill="none" stroke="hsl(${hue} 60% 70%)" stroke-width="2"/>
<circle cx="100" cy="62" r="26" fill="hsl(${hue} 60% 55%)"/>
${text}
<text x="100" y="262" text-anchor="middle" font-family="system-ui, sans-serif" font-size="18" fill="hsl(${hue} 60% 82%)">${escapeHtml(year)}</text>
</svg>`;
}
