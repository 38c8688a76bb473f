/**
 * Rate limiting of sign-in starts and callbacks per client, in PostgreSQL so the limit holds
 * across instances (R7.3). A fixed one-minute window keeps it to one statement a hit. Clients
 * are stored hashed: the limiter needs to tell them apart, not to know them.
 */
import type { RequestEvent } from '@sveltejs/kit';
import ipaddr from 'ipaddr.js';
import { createHash } from 'node:crypto';
import { countRateLimitHit } from '../db/rate-limits.ts';
import type { AuthServices } from '../services.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;

export type RateLimitBucket = 'sign_in' | 'callback';

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts a sign-in start or callback of this client. The address comes from adapter-node
 * (`ADDRESS_HEADER`/`XFF_DEPTH` behind a proxy), never from a raw header.
 */
export async function limitSignInAttempts(
	services: AuthServices,
	event: RequestEvent,
	bucket: RateLimitBucket,
	now: Date = new Date()
): Promise<RateLimitVerdict> {
	const windowStart = new Date(
		Math.floor(now.getTime() / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS
	);
	const client = createHash('sha256').update(clientOf(event)).digest('base64url').slice(0, 22);
	const hits = await countRateLimitHit(services.sql, `${bucket}:${client}`, windowStart);
	if (hits <= services.config.session.signInRateLimitPerMinute) return { allowed: true };
	const windowEnd = windowStart.getTime() + RATE_LIMIT_WINDOW_MS;
	const retryAfterSeconds = Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000));
	event.locals.log.warn({ event: 'sign_in_rate_limited', bucket }, 'too many sign-in attempts');
	event.setHeaders({ 'retry-after': String(retryAfterSeconds) });
	return { allowed: false, retryAfterSeconds };
}

/**
 * Who counts as one client: an IPv4 address, or an IPv6 /64 (what one subscriber is given, so
 * one client can use any of its 2^64 addresses). When the proxy header adapter-node was told to
 * trust is missing or short, the request did not come through the proxy as configured: such
 * requests share one bucket rather than fail.
 */
function clientOf(event: RequestEvent): string {
	let address: string;
	try {
		address = event.getClientAddress();
	} catch {
		event.locals.log.warn(
			{ event: 'client_address_unknown' },
			'the client address header is missing or short; check ADDRESS_HEADER and XFF_DEPTH'
		);
		return 'unknown';
	}
	return clientKey(address);
}

export function clientKey(address: string): string {
	if (!ipaddr.isValid(address)) return address;
	const parsed = ipaddr.process(address);
	if (parsed.kind() === 'ipv4') return parsed.toString();
	const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
	return `${prefix.map((part) => part.toString(16)).join(':')}::/64`;
}
