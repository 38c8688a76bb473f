/**
 * A minimal cookie-keeping HTTP client that walks the sign-in handshake against a running app
 * and the standalone sandbox, the way a browser with JavaScript off would.
 */
export class BrowserSession {
	readonly cookies = new Map<string, string>();

	constructor(readonly appUrl: string) {}

	cookieHeader(): string {
		return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
	}

	private remember(response: Response) {
		for (const line of response.headers.getSetCookie()) {
			const [pair, ...attributes] = line.split(';');
			const [name, ...rest] = pair!.split('=');
			const value = rest.join('=');
			const expired = attributes.some((attribute) =>
				/max-age=0|expires=thu, 01 jan 1970/i.test(attribute.trim())
			);
			if (expired || value === '') this.cookies.delete(name!.trim());
			else this.cookies.set(name!.trim(), value);
		}
	}

	async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
		const response = await fetch(new URL(path, this.appUrl), {
			redirect: 'manual',
			headers: { accept: 'text/html', cookie: this.cookieHeader(), ...headers }
		});
		this.remember(response);
		return response;
	}

	async post(
		path: string,
		form: Record<string, string> | URLSearchParams | string,
		headers: Record<string, string> = {}
	): Promise<Response> {
		const body =
			typeof form === 'string' || form instanceof URLSearchParams
				? form
				: new URLSearchParams(form);
		const response = await fetch(new URL(path, this.appUrl), {
			method: 'POST',
			redirect: 'manual',
			body,
			headers: {
				accept: 'text/html',
				origin: new URL(this.appUrl).origin,
				'content-type': 'application/x-www-form-urlencoded',
				cookie: this.cookieHeader(),
				...headers
			}
		});
		this.remember(response);
		return response;
	}

	/** The whole handshake; returns the request token TMDB saw. */
	async signIn(sandboxUrl: string, username: string, returnTo = '/'): Promise<string> {
		const started = await this.post('/auth/login', { returnTo });
		if (started.status !== 303) throw new Error(`sign-in start answered ${started.status}`);
		const approval = new URL(started.headers.get('location')!);
		const requestToken = approval.pathname.split('/').pop()!;
		const decided = await fetch(`${sandboxUrl}/__sandbox/decide`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ request_token: requestToken, decision: 'approve', username })
		});
		if (!decided.ok) throw new Error(`the sandbox refused to approve: ${decided.status}`);
		const callback = await this.get(`/auth/callback?request_token=${requestToken}&approved=true`);
		if (callback.status !== 303 || callback.headers.get('location')?.startsWith('/auth/login')) {
			throw new Error(`callback answered ${callback.status} ${callback.headers.get('location')}`);
		}
		return requestToken;
	}
}
