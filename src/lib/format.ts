/** Dates as people read them, the same on the server and in the browser (UTC, explicit). */
const dateTime = new Intl.DateTimeFormat('en-GB', {
	dateStyle: 'medium',
	timeStyle: 'short',
	timeZone: 'UTC'
});

export function formatDateTime(value: Date | string): string {
	return `${dateTime.format(new Date(value))} UTC`;
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** "English (en)" for TMDB's ISO 639-1 code; the bare code when it is not a known language. */
export function formatLanguage(code: string | null): string | null {
	return code ? withName(code, () => languageNames.of(code)) : null;
}

/** "United Kingdom (GB)" for TMDB's ISO 3166-1 code; the bare code when it is not a known region. */
export function formatRegion(code: string | null): string | null {
	return code ? withName(code, () => regionNames.of(code.toUpperCase())) : null;
}

function withName(code: string, nameOf: () => string | undefined): string {
	let name: string | undefined;
	try {
		name = nameOf();
	} catch {
		// Not a well-formed code (RangeError): show it as TMDB sent it.
		name = undefined;
	}
	return name && name !== code ? `${name} (${code})` : code;
}

/** Up to two letters for an avatar that has no picture: "Ada Lovelace" → "AL", "ada" → "AD". */
export function initialsOf(name: string): string {
	const words = name.trim().split(/\s+/).filter(Boolean);
	const letters =
		words.length > 1 ? words.map((word) => [...word][0] ?? '') : [...(words[0] ?? '?')];
	return letters.slice(0, 2).join('').toUpperCase();
}
