/**
 * The rate limit of sign-in starts and callbacks, per client, in PostgreSQL so it holds across
 * instances. A fixed one-minute window keeps it to one statement a hit. Clients are stored as a
 * MAC: the limiter needs to tell them apart, not to know them.
 */
import type { RequestEvent } from '@sveltejs/kit';
import ipaddr from 'ipaddr.js';
import type { AppContext } from '../context.ts';
import { countRateLimitHit } from '../db/auth.ts';
import { macOf } from './keys.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Counts this attempt; returns the seconds to wait when it is one too many, else null. */
export async function countSignInAttempt(
	app: AppContext,
	event: RequestEvent,
	bucket: 'sign_in' | 'callback',
	now = new Date()
): Promise<number | null> {
	const windowStart = Math.floor(now.getTime() / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS;
	// Keyed: with a plain hash, every IPv4 address behind a row could be found by trying all 2^32.
	const keys = app.config.session.encryptionKeys;
	const client = macOf(clientOf(event), keys[0]!, 'client address').slice(0, 22);
	const hits = await countRateLimitHit(app.sql, `${bucket}:${client}`, new Date(windowStart));
	if (hits <= app.config.session.signInRateLimitPerMinute) return null;
	event.locals.log.warn({ event: 'sign_in_rate_limited', bucket }, 'too many sign-in attempts');
	return Math.max(1, Math.ceil((windowStart + RATE_LIMIT_WINDOW_MS - now.getTime()) / 1000));
}

/**
 * Who counts as one client: an IPv4 address, or an IPv6 /64 (what one subscriber is given). The
 * address comes from adapter-node (`ADDRESS_HEADER`/`XFF_DEPTH` behind a proxy), never from a
 * raw header. When that header is missing or short, the request did not come through the proxy
 * as configured: such requests share one bucket rather than fail.
 */
function clientOf(event: RequestEvent): string {
	try {
		return clientKey(event.getClientAddress());
	} catch {
		event.locals.log.warn(
			{ event: 'client_address_unknown' },
			'the client address header is missing or short; check ADDRESS_HEADER and XFF_DEPTH'
		);
		return 'unknown';
	}
}

export function clientKey(address: string): string {
	if (!ipaddr.isValid(address)) return address;
	const parsed = ipaddr.process(address);
	if (parsed.kind() === 'ipv4') return parsed.toString();
	const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
	return `${prefix.map((part) => part.toString(16)).join(':')}::/64`;
}
