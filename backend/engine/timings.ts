// Per-stage wall times of one generation, and the share of it spent inside ONNX Runtime
// (`session.run`), which the benchmark reports as the engine's overhead ratio.
import type * as ort from "onnxruntime-node";

export class Timings {
  /** Milliseconds per stage, one entry per occurrence (e.g. one per UNet step). */
  readonly stages = new Map<string, number[]>();
  /** Milliseconds spent inside session.run, all components together. */
  sessionMs = 0;

  add(stage: string, ms: number): void {
    const list = this.stages.get(stage);
    if (list) list.push(ms);
    else this.stages.set(stage, [ms]);
  }

  start(stage: string): () => number {
    const t0 = performance.now();
    return () => {
      const ms = performance.now() - t0;
      this.add(stage, ms);
      return ms;
    };
  }

  measure<T>(stage: string, fn: () => T): T {
    const stop = this.start(stage);
    try {
      return fn();
    } finally {
      stop();
    }
  }

  async run(
    stage: string,
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    fetches?: string[]
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    const stop = this.start(stage);
    try {
      return await (fetches ? session.run(feeds, fetches) : session.run(feeds));
    } finally {
      this.sessionMs += stop();
    }
  }

  total(stage: string): number {
    return (this.stages.get(stage) ?? []).reduce((a, b) => a + b, 0);
  }

  /** Stage → total ms, in the order stages first ran. */
  summary(): Record<string, number> {
    return Object.fromEntries([...this.stages.keys()].map((k) => [k, this.total(k)]));
  }
}
