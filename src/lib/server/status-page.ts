/**
 * The app's hand-built HTML pages, for answers given without SvelteKit's rendering: the sign-in
 * rate limit, a database outage, and the in-app TMDB sandbox's approval page. One layout and one
 * stylesheet; no scripts, no external resources, and a strict CSP of their own.
 */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root{--accent:#01b4e4;--ink:#0d253f}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f5f7fa;color:#17202b}
header{background:var(--ink);color:#fff;padding:.75rem 1.5rem}header a{color:#fff;font-weight:700;font-size:1.25rem;text-decoration:none}
header h1{margin:0;font-size:1.25rem}header p{margin:.25rem 0 0;color:#9fd9ee}
main{max-width:34rem;margin:2rem auto;padding:1.5rem 1.75rem;background:#fff;border:1px solid #d5dbe3;border-radius:12px}
h1,h2{margin-top:0}a{color:#0077a3}small{color:#5b6b7a}code{word-break:break-all}
.banner{background:repeating-linear-gradient(45deg,#ffd84d,#ffd84d 12px,#ffcc00 12px,#ffcc00 24px);color:#222;text-align:center;padding:.5rem 1rem;font-weight:600}
fieldset{border:1px solid #d5dbe1;border-radius:6px;padding:.75rem 1rem}legend{font-weight:600;padding:0 .25rem}
ul.accounts{list-style:none;margin:0;padding:0}
label.account{display:flex;align-items:center;gap:.75rem;padding:.4rem .25rem;border-radius:6px;cursor:pointer}label.account:hover{background:#eef6fa}
label.account img,.initial{width:40px;height:40px;border-radius:50%;flex:none}
.initial{display:inline-flex;align-items:center;justify-content:center;background:#90a4ae;color:#fff;font-weight:700}
label.typed{display:block;margin-top:.75rem}label.typed input{display:block;width:100%;margin-top:.25rem;padding:.45rem .6rem;font:inherit;border:1px solid #aab6c2;border-radius:4px}
.actions{display:flex;gap:.75rem;margin-top:1rem}
button{font:inherit;font-weight:600;padding:.55rem 1.4rem;border-radius:6px;border:0;cursor:pointer}
button.approve{background:var(--ink);color:#fff}button.deny{background:#e3e8ec;color:#17202b}
button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.problem{background:#fdecea;color:#8a1c12;padding:.5rem .75rem;border-radius:4px}
`;

export type HtmlPage = {
	status: number;
	title: string;
	/** Already-escaped HTML for the page's main section, under the title. */
	body: string;
	/** The TMDB sandbox's pages say, everywhere, that they are not TMDB. */
	sandbox?: boolean;
	headers?: Record<string, string>;
};

export function htmlPage(page: HtmlPage): Response {
	const site = page.sandbox ? 'Marquee TMDB sandbox' : 'Marquee';
	const top = page.sandbox
		? `<div class="banner" role="note">Marquee TMDB sandbox: not the real themoviedb.org. No real account is used.</div>
<header><h1>Marquee TMDB sandbox</h1><p>A local stand-in for TMDB's sign-in approval page</p></header>`
		: '<header><a href="/">Marquee</a></header>';
	const heading = page.sandbox ? 'h2' : 'h1';
	const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(page.title)} · ${site}</title>
<style>${STYLE}</style>
</head>
<body>
${top}
<main>
<${heading}>${escapeHtml(page.title)}</${heading}>
${page.body}
</main>
</body>
</html>`;
	return new Response(html, {
		status: page.status,
		headers: {
			'content-type': 'text/html; charset=utf-8',
			'cache-control': 'no-store',
			// The sandbox page's URL holds a request token: no Referer to other origins. Not
			// no-referrer: with it browsers post its form with `Origin: null`, which the app's
			// origin check refuses when the sandbox is served in-app.
			'referrer-policy': 'same-origin',
			'x-frame-options': 'DENY',
			'content-security-policy':
				"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
			...page.headers
		}
	});
}

/** A short message page: what happened, and the way home. */
export function statusPage(
	status: number,
	title: string,
	message: string,
	headers: Record<string, string> = {}
): Response {
	const body = `<p>${escapeHtml(message)}</p>\n<p><a href="/">Back to the home page</a></p>`;
	return htmlPage({ status, title, body, headers });
}
