import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * adapter-node, whose entry (`build/index.js`) is then replaced by the app's own server,
 * src/lib/server/http-server.ts (it says why), built beside adapter-node's `handler.js`.
 * @returns {import('@sveltejs/kit').Adapter}
 */
function adapterNodeWithOwnServer() {
	const node = adapter({ out: 'build' });
	return {
		...node,
		async adapt(builder) {
			await node.adapt(builder);
			builder.log.minor('Building the server entry');
			const { build } = await import('vite');
			await build({
				configFile: false,
				logLevel: 'warn',
				publicDir: false,
				build: {
					ssr: 'src/lib/server/http-server.ts',
					outDir: 'build',
					emptyOutDir: false,
					sourcemap: true,
					target: 'node22',
					rollupOptions: { output: { entryFileNames: 'index.js' } }
				}
			});
			// adapter-node put src/instrumentation.server.ts in front of its own entry; the same for
			// ours, so the OpenTelemetry SDK starts before the app's modules load.
			if (builder.hasServerInstrumentationFile?.()) {
				builder.instrument({
					entrypoint: 'build/index.js',
					instrumentation: 'build/instrumentation.server.js',
					module: { exports: [] }
				});
			}
		}
	};
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapterNodeWithOwnServer(),
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
