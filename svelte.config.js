import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build' }),
		// OpenTelemetry spans of Kit's own and src/instrumentation.server.ts, which starts the SDK
		// only when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/observability.md).
		experimental: { tracing: { server: true }, instrumentation: { server: true } },
		// Absolute asset and link paths: pages are served from nested routes and error pages.
		paths: { relative: false },
		// The app's own scripts only: inline scripts carry a nonce or hash. The hook adds TMDB's
		// image and approval origins from the configuration (src/lib/server/security/headers.ts).
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'font-src': ['self'],
				'connect-src': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none'],
				'base-uri': ['none'],
				'object-src': ['none']
			}
		}
	}
};

export default config;
