/**
 * The sandbox's stand-in for https://www.themoviedb.org/authenticate/{token}: a small page where
 * the person picks a sandbox account (or types a username) and approves or denies the app. It is
 * self-contained (inline CSS, no scripts, no external resources) and works with JavaScript off.
 */
import { SANDBOX_ACCOUNTS, sandboxAccountForUsername, type SandboxAccount } from './accounts.ts';
import { isOpaqueId, type ProtocolState, type RequestToken } from './protocol-state.ts';
import { escapeHtml } from './responses.ts';

/** SANDBOX_USERNAME_PATTERN for the browser (its `v` flag needs the hyphen escaped). */
const USERNAME_INPUT_PATTERN = '[A-Za-z0-9_.\\-]{1,32}';
const MAX_FORM_BODY_LENGTH = 8 * 1024;
const MAX_REDIRECT_LENGTH = 2048;
/** Base for resolving path-only redirect targets; never appears in output. */
const RELATIVE_BASE = 'http://relative.invalid';

export type ApprovalContext = {
	state: ProtocolState;
	/** Prefix for links the page itself contains (its avatars). */
	webBasePath: string;
};

export async function handleApprovalPage(
	request: Request,
	url: URL,
	tokenValue: string,
	context: ApprovalContext
): Promise<Response> {
	const lookup = isOpaqueId(tokenValue)
		? context.state.lookupToken(tokenValue)
		: { status: 'unknown' as const };
	if (lookup.status !== 'ok') return tokenProblemPage(lookup.status);

	const redirectTo = parseRedirectTarget(url.searchParams.get('redirect_to'));
	if (redirectTo === 'invalid') {
		return messagePage(400, 'Invalid redirect_to', [
			'The redirect_to address must be an http(s) URL or a path starting with a single "/".'
		]);
	}
	if (request.method === 'GET') return approvalForm(context, lookup.token, redirectTo, null);
	if (request.method !== 'POST') {
		return messagePage(405, 'Method not allowed', ['Use the form on this page.']);
	}

	const form = await readForm(request);
	const decision = form?.get('decision');
	if (!form || (decision !== 'approve' && decision !== 'deny')) {
		return approvalForm(context, lookup.token, redirectTo, 'Choose Approve or Deny.', 400);
	}
	if (decision === 'deny') {
		lookup.token.decision = { approved: false };
	} else {
		const account = chosenAccount(form);
		if (!account) {
			return approvalForm(
				context,
				lookup.token,
				redirectTo,
				'Pick an account, or type a username of 1 to 32 letters, digits, ".", "_" or "-".',
				400
			);
		}
		// The last decision counts until the app redeems the token, so a double submit or going
		// back and changing one's mind behaves predictably.
		lookup.token.decision = { approved: true, account };
	}

	const outcome = decision === 'approve' ? 'approved' : 'denied';
	if (redirectTo === null) {
		// Without redirect_to TMDB shows its own /authenticate/allow page; this is the equivalent.
		return messagePage(200, `Request ${outcome}`, [
			decision === 'approve'
				? 'You approved the request. Go back to the application to finish signing in.'
				: 'You denied the request. You can close this page.'
		]);
	}
	return new Response(null, {
		status: 303,
		headers: { location: callbackLocation(redirectTo, lookup.token.value, outcome) }
	});
}

/** Appends TMDB's parameters: `request_token=...&approved=true` or `...&denied=true`. */
export function callbackLocation(
	redirectTo: string,
	tokenValue: string,
	outcome: 'approved' | 'denied'
): string {
	const isPath = redirectTo.startsWith('/');
	const target = new URL(redirectTo, RELATIVE_BASE);
	target.searchParams.set('request_token', tokenValue);
	target.searchParams.set(outcome, 'true');
	return isPath ? `${target.pathname}${target.search}${target.hash}` : target.href;
}

/** null when absent; 'invalid' unless an absolute http(s) URL or a same-site path. */
export function parseRedirectTarget(value: string | null): string | null | 'invalid' {
	if (value === null || value === '') return null;
	if (value.length > MAX_REDIRECT_LENGTH) return 'invalid';
	if (value.startsWith('/')) {
		return value.startsWith('//') || value.startsWith('/\\') ? 'invalid' : value;
	}
	try {
		const url = new URL(value);
		return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : 'invalid';
	} catch {
		return 'invalid';
	}
}

function chosenAccount(form: URLSearchParams): SandboxAccount | null {
	// A typed username wins over the radio buttons: the label says so, and it needs no script.
	const typed = form.get('username')?.trim() ?? '';
	if (typed !== '') return sandboxAccountForUsername(typed);
	const picked = form.get('account');
	return SANDBOX_ACCOUNTS.find((account) => account.username === picked) ?? null;
}

async function readForm(request: Request): Promise<URLSearchParams | null> {
	const declaredLength = Number(request.headers.get('content-length') ?? 0);
	if (declaredLength > MAX_FORM_BODY_LENGTH) return null;
	const text = await request.text();
	return text.length > MAX_FORM_BODY_LENGTH ? null : new URLSearchParams(text);
}

function tokenProblemPage(status: 'unknown' | 'expired' | 'used'): Response {
	switch (status) {
		case 'unknown':
			return messagePage(404, 'Unknown request token', [
				'This sign-in request does not exist in the sandbox (it may be from before a restart).',
				'Go back to the application and start signing in again.'
			]);
		case 'expired':
			return messagePage(400, 'Request token expired', [
				'Sign-in requests are valid for 60 minutes and this one has expired.',
				'Go back to the application and start signing in again.'
			]);
		case 'used':
			return messagePage(400, 'Request token already used', [
				'This sign-in request has already been exchanged for a session.',
				'Go back to the application and start signing in again.'
			]);
	}
}

function approvalForm(
	context: ApprovalContext,
	token: RequestToken,
	redirectTo: string | null,
	problem: string | null,
	status = 200
): Response {
	const checkedUsername =
		token.decision?.approved === true
			? token.decision.account.username
			: SANDBOX_ACCOUNTS[0]?.username;
	const accounts = SANDBOX_ACCOUNTS.map((account) => {
		const checked = account.username === checkedUsername ? ' checked' : '';
		return `<li><label class="account">
<input type="radio" name="account" value="${escapeHtml(account.username)}"${checked}>
${avatarHtml(context.webBasePath, account)}
<span><strong>${escapeHtml(account.username)}</strong><br><small>${account.name ? escapeHtml(account.name) : '(no name set)'} · id ${account.id}</small></span>
</label></li>`;
	}).join('\n');
	const destination = redirectTo
		? `<p>After you decide you will be sent back to <code>${escapeHtml(describeTarget(redirectTo))}</code>.</p>`
		: '';
	const expires = new Date(token.expiresAt).toISOString().slice(11, 16);
	const body = `<p>An application wants to sign you in with your TMDB account. This request expires at ${expires} UTC.</p>
${destination}
${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post">
<fieldset>
<legend>Sign in as</legend>
<ul class="accounts">
${accounts}
</ul>
<label class="typed">Or type a username (used instead of the choice above)
<input type="text" name="username" maxlength="32" pattern="${USERNAME_INPUT_PATTERN}" autocomplete="off" spellcheck="false"></label>
</fieldset>
<div class="actions">
<button type="submit" name="decision" value="approve" class="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="deny">Deny</button>
</div>
</form>`;
	return htmlResponse(status, 'Approve sign-in', body);
}

/** Shows where the person will land without the query string, which may carry state. */
function describeTarget(redirectTo: string): string {
	const target = new URL(redirectTo, RELATIVE_BASE);
	return redirectTo.startsWith('/') ? target.pathname : `${target.origin}${target.pathname}`;
}

function avatarHtml(webBasePath: string, account: SandboxAccount): string {
	if (account.avatarPath) {
		return `<img src="${escapeHtml(`${webBasePath}/t/p/w45${account.avatarPath}`)}" alt="" width="40" height="40">`;
	}
	const initial = account.username.slice(0, 1).toUpperCase();
	return `<span class="initial" aria-hidden="true">${escapeHtml(initial)}</span>`;
}

function messagePage(status: number, title: string, paragraphs: string[]): Response {
	return htmlResponse(
		status,
		title,
		paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')
	);
}

const STYLE = `
:root { --accent: #01b4e4; --ink: #0d253f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; background: #f4f6f8; color: #1c2530; }
.banner { background: repeating-linear-gradient(45deg, #ffd84d, #ffd84d 12px, #ffcc00 12px, #ffcc00 24px); color: #222; text-align: center; padding: .5rem 1rem; font-weight: 600; }
header { background: var(--ink); color: #fff; padding: 1rem 1.5rem; }
header h1 { margin: 0; font-size: 1.25rem; }
header p { margin: .25rem 0 0; color: #9fd9ee; }
main { max-width: 34rem; margin: 1.5rem auto; background: #fff; color: #1c2530; border-radius: 8px; padding: 1.25rem 1.5rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h2 { margin-top: 0; font-size: 1.2rem; }
fieldset { border: 1px solid #d5dbe1; border-radius: 6px; padding: .75rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
ul.accounts { list-style: none; margin: 0; padding: 0; }
label.account { display: flex; align-items: center; gap: .75rem; padding: .4rem .25rem; border-radius: 6px; cursor: pointer; }
label.account:hover { background: #eef6fa; }
label.account img, .initial { width: 40px; height: 40px; border-radius: 50%; flex: none; }
.initial { display: inline-flex; align-items: center; justify-content: center; background: #90a4ae; color: #fff; font-weight: 700; }
small { color: #5b6b7a; }
label.typed { display: block; margin-top: .75rem; }
label.typed input { display: block; width: 100%; margin-top: .25rem; padding: .45rem .6rem; font: inherit; border: 1px solid #aab6c2; border-radius: 4px; }
.actions { display: flex; gap: .75rem; margin-top: 1rem; }
button { font: inherit; font-weight: 600; padding: .55rem 1.4rem; border-radius: 6px; border: 0; cursor: pointer; }
button.approve { background: var(--ink); color: #fff; }
button.deny { background: #e3e8ec; color: #1c2530; }
button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.problem { background: #fdecea; color: #8a1c12; padding: .5rem .75rem; border-radius: 4px; }
code { word-break: break-all; }
`;

function htmlResponse(status: number, title: string, body: string): Response {
	const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Marquee TMDB sandbox</title>
<style>${STYLE}</style>
</head>
<body>
<div class="banner" role="note">Marquee TMDB sandbox: not the real themoviedb.org. No real account is used.</div>
<header><h1>Marquee TMDB sandbox</h1><p>A local stand-in for TMDB's sign-in approval page</p></header>
<main>
<h2>${escapeHtml(title)}</h2>
${body}
</main>
</body>
</html>`;
	return new Response(html, {
		status,
		headers: {
			'content-type': 'text/html;charset=utf-8',
			'cache-control': 'no-store',
			// The request token is in this page's URL: keep it out of Referer headers sent to other
			// origins. Not no-referrer: with it browsers post the form with `Origin: null`, which
			// the app's origin check refuses when the sandbox is served in-app.
			'referrer-policy': 'same-origin',
			'x-frame-options': 'DENY',
			'content-security-policy':
				"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
		}
	});
}
