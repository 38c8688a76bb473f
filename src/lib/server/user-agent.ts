import Bowser from 'bowser';

/** "Firefox on Linux" from a user agent string, for the sessions page. */
export function describeUserAgent(userAgent: string | null): string {
	if (!userAgent) return 'Unknown device';
	const parsed = Bowser.parse(userAgent);
	const browser = parsed.browser.name;
	const os = parsed.os.name;
	if (browser && os) return `${browser} on ${os}`;
	return browser ?? os ?? 'Unknown device';
}
