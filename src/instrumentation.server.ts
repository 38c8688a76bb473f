/**
 * Kit runs this before it imports the app (adapter-node's build does too): tracing starts here,
 * so Kit's own spans (handle, loads, actions) and ours reach the OTLP exporter. Without
 * OTEL_EXPORTER_OTLP_ENDPOINT no SDK is imported, and every span goes to the API's no-op tracer.
 */
import { tracingRequested } from '$lib/server/config';
import { startTracing } from '$lib/server/observability';

const tracing = tracingRequested(process.env);
if (tracing) await startTracing(tracing);
