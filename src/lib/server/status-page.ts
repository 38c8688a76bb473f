/**
 * A small self-contained page for answers given before or without SvelteKit's rendering: the
 * sign-in rate limit and a database outage. No scripts, no external resources, and a strict
 * CSP of its own (only its inline style).
 */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function statusPage(
	status: number,
	title: string,
	message: string,
	headers: Record<string, string> = {}
): Response {
	const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Marquee</title>
<style>
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f5f7fa;color:#17202b;line-height:1.5}
header{background:#0d253f;padding:.75rem 1.5rem}header a{color:#fff;font-weight:700;font-size:1.25rem;text-decoration:none}
main{max-width:32rem;margin:3rem auto;padding:1.75rem;background:#fff;border:1px solid #d5dbe3;border-radius:12px}
h1{margin-top:0}a{color:#0077a3}
</style>
</head>
<body>
<header><a href="/">Marquee</a></header>
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<p><a href="/">Back to the home page</a></p>
</main>
</body>
</html>`;
	return new Response(body, {
		status,
		headers: {
			'content-type': 'text/html; charset=utf-8',
			'cache-control': 'no-store',
			'content-security-policy':
				"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
			...headers
		}
	});
}
