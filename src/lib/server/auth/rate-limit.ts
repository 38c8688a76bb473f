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

/** An IPv6 /48 (one site's allocation) may make this many times the attempts of one /64. */
const SITE_ALLOWANCE = 16;

/**
 * Counts this attempt; returns the seconds to wait when it is one too many, else null. An IPv6
 * client counts in its /64 and, with a larger allowance, in its /48, so one allocation cannot
 * spend 65,536 allowances.
 */
export async function countSignInAttempt(
	app: AppContext,
	event: RequestEvent,
	bucket: 'sign_in' | 'callback',
	now = new Date()
): Promise<number | null> {
	const windowStart = Math.floor(now.getTime() / RATE_LIMIT_WINDOW_MS) * RATE_LIMIT_WINDOW_MS;
	const limit = app.config.session.signInRateLimitPerMinute;
	// Keyed: with a plain hash, every IPv4 address behind a row could be found by trying all 2^32.
	const key = (client: string) =>
		`${bucket}:${macOf(client, app.config.session.encryptionKeys[0]!, 'client address').slice(0, 22)}`;
	const raw = clientAddressOf(event);
	const client = clientKey(raw);
	if (client === null) {
		event.locals.log.warn(
			{ event: 'client_address_unknown' },
			'the client address is missing or not an address; check ADDRESS_HEADER and XFF_DEPTH'
		);
	}
	const counted = [{ client: client ?? 'unknown', limit }];
	const site = siteKey(raw);
	if (site) counted.push({ client: site, limit: limit * SITE_ALLOWANCE });
	const hits = await Promise.all(
		counted.map(({ client }) => countRateLimitHit(app.sql, key(client), new Date(windowStart)))
	);
	if (hits.every((count, index) => count <= counted[index]!.limit)) return null;
	event.locals.log.warn({ event: 'sign_in_rate_limited', bucket }, 'too many sign-in attempts');
	return Math.max(1, Math.ceil((windowStart + RATE_LIMIT_WINDOW_MS - now.getTime()) / 1000));
}

/**
 * The client's address from adapter-node (`ADDRESS_HEADER`/`XFF_DEPTH` behind a proxy), never
 * from a raw header; '' when the header is missing or short. Such requests, and any whose value
 * is not an address, did not come through the proxy as configured: they share one bucket
 * ('unknown') rather than fail, and never get an allowance of their own.
 */
function clientAddressOf(event: RequestEvent): string {
	try {
		return event.getClientAddress();
	} catch {
		return '';
	}
}

/**
 * The address as proxies write it, normalised: trimmed and lower-cased, a port dropped
 * (`a.b.c.d:port`, `[v6]:port`; Azure Application Gateway sends one), IPv4-mapped IPv6 read as
 * IPv4. Null when what is left is not an address.
 */
function parseAddress(raw: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
	let value = raw.trim().toLowerCase();
	const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
	if (bracketed) value = bracketed[1]!;
	else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(value))
		value = value.slice(0, value.indexOf(':'));
	// Only the four-part decimal IPv4 form: ipaddr.js would also read `10` or `0x7f.1` as one.
	const valid = ipaddr.IPv6.isValid(value) || ipaddr.IPv4.isValidFourPartDecimal(value);
	return valid ? ipaddr.process(value) : null;
}

function ipv6Prefix(address: ipaddr.IPv6, groups: number): string {
	const prefix = address.parts.slice(0, groups).map((part) => part.toString(16));
	return `${prefix.join(':')}::/${groups * 16}`;
}

/** Who counts as one client: an IPv4 address, or an IPv6 /64 (what one subscriber is given). */
export function clientKey(raw: string): string | null {
	const address = parseAddress(raw);
	if (!address) return null;
	return address.kind() === 'ipv4' ? address.toString() : ipv6Prefix(address as ipaddr.IPv6, 4);
}

/** The wider bucket of an IPv6 client: its /48. Null for IPv4 and for what is not an address. */
export function siteKey(raw: string): string | null {
	const address = parseAddress(raw);
	return address?.kind() === 'ipv6' ? ipv6Prefix(address as ipaddr.IPv6, 3) : null;
}
