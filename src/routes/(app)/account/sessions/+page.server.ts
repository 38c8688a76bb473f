import { requireUser } from '$lib/server/auth/guards';
import { revokeOtherSessions, revokeSession } from '$lib/server/auth/sign-out';
import { describeUserAgent } from '$lib/server/user-agent';
import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	const { user, session } = requireUser();
	const sessions = await locals.app.sessions.listSessions(user.id);
	return {
		sessions: sessions.map((listed) => ({
			id: listed.id,
			device: describeUserAgent(listed.userAgent),
			createdAt: listed.createdAt,
			lastSeenAt: listed.lastSeenAt,
			current: listed.id === session.id
		}))
	};
};

const revokeForm = z.object({ sessionId: z.string().regex(/^[0-9a-f]{64}$/) });

export const actions: Actions = {
	revoke: async (event) => {
		requireUser();
		const form = revokeForm.safeParse(Object.fromEntries(await event.request.formData()));
		if (!form.success) return fail(400, { message: 'That session could not be found.' });
		const revoked = await revokeSession(event, form.data.sessionId);
		if (!revoked) return fail(404, { message: 'That session could not be found.' });
		return { message: 'The session was signed out.' };
	},
	revokeOthers: async (event) => {
		requireUser();
		const count = await revokeOtherSessions(event);
		return {
			message:
				count === 0
					? 'No other device was signed in.'
					: `Signed out ${count} other ${count === 1 ? 'session' : 'sessions'}.`
		};
	}
};
