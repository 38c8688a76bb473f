/** The part of autocannon's programmatic API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
	import type { EventEmitter } from 'node:events';

	export type RequestData = {
		method?: string;
		path?: string;
		headers?: Record<string, string>;
	};

	export type Request = RequestData & {
		setupRequest?: (request: RequestData) => RequestData;
	};

	export type Options = {
		url: string;
		connections?: number;
		duration?: number;
		timeout?: number;
		pipelining?: number;
		requests?: Request[];
	};

	export type Histogram = {
		average: number;
		mean: number;
		stddev: number;
		min: number;
		max: number;
		p50: number;
		p90: number;
		p99: number;
		total: number;
	};

	export type Result = {
		latency: Histogram;
		requests: Histogram;
		duration: number;
		errors: number;
		timeouts: number;
		non2xx: number;
		'2xx': number;
		'3xx': number;
		'4xx': number;
		'5xx': number;
	};

	export type Instance = EventEmitter & PromiseLike<Result> & { stop(): void };

	export default function autocannon(options: Options): Instance;
}
