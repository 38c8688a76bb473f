/** Pure pieces of the retry policy, kept apart so they can be tested on their own. */

export type BackoffOptions = {
	baseDelayMs: number;
	maxDelayMs: number;
	/** Returns a number in [0, 1), like Math.random. */
	random: () => number;
};

/**
 * Exponential backoff with full jitter: a uniformly random wait between 0 and
 * min(maxDelayMs, baseDelayMs * 2^(attempt - 1)). Full jitter spreads out clients that failed
 * together, so they do not all come back at the same moment.
 */
export function computeBackoffDelay(attempt: number, options: BackoffOptions): number {
	const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
	return Math.floor(options.random() * ceiling);
}

const MAX_HEADER_LENGTH = 64;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Reads a Retry-After header (delay in seconds or an HTTP date) as whole seconds from now.
 * Returns undefined when absent, unreadable or naming no wait at all (0, or a date already past;
 * TMDB sometimes sends 0), so the caller falls back to backoff instead of retrying at once.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
	if (value === null) return undefined;
	const trimmed = value.trim();
	if (trimmed === '' || trimmed.length > MAX_HEADER_LENGTH) return undefined;
	let seconds = NaN;
	if (/^\d+$/.test(trimmed)) seconds = Number(trimmed);
	// Only the IMF-fixdate form HTTP requires: Date.parse alone would take "-5" or "1.5" as dates.
	else if (HTTP_DATE.test(trimmed)) seconds = Math.ceil((Date.parse(trimmed) - nowMs) / 1000);
	return seconds > 0 ? seconds : undefined;
}

/** Network error codes raised before a single byte of the request reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

export function networkErrorProvesNotSent(code: string | undefined): boolean {
	return code !== undefined && NOT_SENT_CODES.has(code);
}

/** Finds the system error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET...) in a cause chain. */
export function findErrorCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string') return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
