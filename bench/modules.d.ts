// Types for modules without their own: autocannon 9 (the part bench/load.ts uses) and two oidc-provider internals.
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      duration?: number;
      amount?: number;
      timeout?: number;
      requests?: unknown[];
    }
    interface Histogram { average: number; p50: number; p99: number; total: number; min: number; max: number }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}

// The baseline keeps oidc-provider's own memory adapter but gives it room: its default LRU holds 1,000 entries,
// fewer than the codes a run mints, so grants would be evicted mid-run.
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string, store: unknown, clockTolerance?: number);
  }
}
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
  }
}
