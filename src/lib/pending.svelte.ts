import type { SubmitFunction } from '@sveltejs/kit';

/** The callback `use:enhance` runs once the server has answered, and what it is given. */
type AfterSubmit = Exclude<Awaited<ReturnType<SubmitFunction>>, void>;
type SubmitAnswer = Parameters<AfterSubmit>[0];

/**
 * The pending state of a page's forms, for `use:enhance={pending.submit(key)}`: while one form
 * submits, `pending.is(key)` is true (its button says so and is disabled), and no form sharing
 * this state submits a second time.
 */
export class PendingForms<Key extends string | number = string> {
	#submitting: Key | null = $state(null);

	/** Whether the form `key` is submitting. */
	is(key: Key): boolean {
		return this.#submitting === key;
	}

	/** Makes every form usable again. */
	end(): void {
		this.#submitting = null;
	}

	/**
	 * By default the form stays pending until `update()` (applying the result, following a
	 * redirect) settles. With `settle`, that callback handles the answer and calls `end()` itself.
	 */
	submit(key: Key, settle?: (answer: SubmitAnswer) => Promise<void>): SubmitFunction {
		return ({ cancel }) => {
			if (this.#submitting !== null) return cancel();
			this.#submitting = key;
			if (settle) return settle;
			return async ({ update }) => {
				try {
					await update();
				} finally {
					this.end();
				}
			};
		};
	}
}
