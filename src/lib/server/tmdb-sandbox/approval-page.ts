/**
 * The sandbox's stand-in for https://www.themoviedb.org/authenticate/{token}: a small page where
 * the person picks a sandbox account (or types a username) and approves or denies the app. It is
 * self-contained (inline CSS, no scripts, no external resources) and works with JavaScript off.
 */
import { SANDBOX_ACCOUNTS, sandboxAccountForUsername, type SandboxAccount } from './accounts.ts';
import { isOpaqueId, type RequestToken, type SandboxState } from './protocol-state.ts';
import { escapeHtml, htmlPage } from '../status-page.ts';

/** SANDBOX_USERNAME_PATTERN for the browser (its `v` flag needs the hyphen escaped). */
const USERNAME_INPUT_PATTERN = '[A-Za-z0-9_.\\-]{1,32}';
const MAX_FORM_BODY_LENGTH = 8 * 1024;
const MAX_REDIRECT_LENGTH = 2048;
/** Base for resolving path-only redirect targets; never appears in output. */
const RELATIVE_BASE = 'http://relative.invalid';

export type ApprovalContext = {
	state: SandboxState;
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
		? await context.state.lookupToken(tokenValue)
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
		await context.state.decideToken(lookup.token.value, { approved: false });
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
		await context.state.decideToken(lookup.token.value, { approved: true, account });
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

function htmlResponse(status: number, title: string, body: string): Response {
	return htmlPage({ status, title, body, sandbox: true });
}
