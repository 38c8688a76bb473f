/** Dates as people read them, the same on the server and in the browser (UTC, explicit). */
const dateTime = new Intl.DateTimeFormat('en-GB', {
	dateStyle: 'medium',
	timeStyle: 'short',
	timeZone: 'UTC'
});

export function formatDateTime(value: Date | string): string {
	return `${dateTime.format(new Date(value))} UTC`;
}
