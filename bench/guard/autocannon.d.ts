// The subset of autocannon's API the benchmark uses (the package ships no types; @types/autocannon
// would be one more dependency for a few fields).
declare module 'autocannon' {
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    /** Cycled per connection; setupRequest may rewrite each request before it is sent. */
    requests?: { setupRequest?: (request: { body?: string }) => { body?: string } }[];
    connections?: number;
    duration?: number;
  }
  interface Histogram {
    average: number;
    p50: number;
    p90: number;
    p99: number;
    total: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    non2xx: number;
    errors: number;
  }
  export default function autocannon(options: Options): Promise<Result>;
}
