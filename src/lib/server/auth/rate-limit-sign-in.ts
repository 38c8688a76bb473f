import type { RequestEvent } from '@sveltejs/kit';
import { hitRateLimit, type RateLimitBucket, type RateLimitVerdict } from '../rate-limit.ts';
import type { AuthServices } from './services.ts';

/**
 * Counts a sign-in start or callback of this client address. The address comes from
 * adapter-node (`ADDRESS_HEADER`/`XFF_DEPTH` behind a proxy), never from a raw header.
 */
export async function limitSignInAttempts(
	services: AuthServices,
	event: RequestEvent,
	bucket: RateLimitBucket
): Promise<RateLimitVerdict> {
	const verdict = await hitRateLimit(
		services.sql,
		bucket,
		event.getClientAddress(),
		services.config.session.signInRateLimitPerMinute
	);
	if (!verdict.allowed) {
		event.locals.log.warn({ event: 'sign_in_rate_limited', bucket }, 'too many sign-in attempts');
		event.setHeaders({ 'retry-after': String(verdict.retryAfterSeconds) });
	}
	return verdict;
}
