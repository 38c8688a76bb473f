/** Ending TMDB sessions on sign-out and revocation: best effort, bounded, never blocking (R3.1). */
import type { Logger } from '../log.ts';
import { isTmdbError } from '../tmdb/errors.ts';
import type { AuthServices } from './services.ts';

/** Sign-out waits at most this long for TMDB before it carries on regardless. */
const TMDB_DELETE_WAIT_MS = 3_000;

export async function endTmdbSessionQuietly(
	services: Pick<AuthServices, 'tmdb'>,
	tmdbSessionId: string,
	log: Logger
): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<'timeout'>((resolve) => {
		timer = setTimeout(() => resolve('timeout'), TMDB_DELETE_WAIT_MS);
	});
	try {
		const outcome = await Promise.race([
			services.tmdb.deleteSession(tmdbSessionId).then(() => 'deleted' as const),
			deadline
		]);
		if (outcome === 'timeout') {
			log.warn(
				{ event: 'tmdb_session_delete_failed', reason: 'timeout' },
				'TMDB session delete timed out'
			);
			return false;
		}
		log.info({ event: 'tmdb_session_deleted' }, 'TMDB session deleted');
		return true;
	} catch (error) {
		log.warn(
			{
				event: 'tmdb_session_delete_failed',
				tmdbError: isTmdbError(error) ? error.kind : 'unknown'
			},
			'TMDB session could not be deleted'
		);
		return false;
	} finally {
		clearTimeout(timer);
	}
}
