/**
 * Avatar images for the sandbox accounts, generated as SVG so the sandbox needs no files and no
 * internet. Served at `/t/p/{size}/{file}` like TMDB's image CDN.
 */
import { createHash } from 'node:crypto';
import { findSandboxAvatar, type SandboxAccount } from './accounts.ts';
import { escapeHtml } from '../status-page.ts';

const SIZE = /^(?:([wh])(\d{2,4})|original)$/;
const ORIGINAL_SIZE = 500;

/** The avatar response for `/t/p/{size}/{file}`, or null when there is no such image. */
export function avatarResponse(size: string, file: string): Response | null {
	const sizeMatch = SIZE.exec(size);
	const account = findSandboxAvatar(file);
	if (!sizeMatch || !account) return null;
	const pixels = sizeMatch[2] ? Math.min(Number(sizeMatch[2]), 2000) : ORIGINAL_SIZE;
	return new Response(avatarSvg(account, pixels), {
		headers: {
			'content-type': 'image/svg+xml',
			'cache-control': 'public, max-age=86400',
			// An SVG opened directly is a document; it needs nothing beyond its own inline styling.
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
