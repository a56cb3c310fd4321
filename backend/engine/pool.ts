// Loaded models by name: each is opened once, on first use, and shared by all jobs.
import { ModelError } from "./errors";
import { loadModel, type LoadedModel } from "./model";
import type { RuntimeOptions } from "./providers";
import { listModels, type ModelSummary } from "./registry";

export class ModelPool {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  /** Listing reads every model folder, so it is done once and again only for an unknown name. */
  private listing?: ModelSummary[];

  constructor(
    private readonly runtime: RuntimeOptions,
    private readonly root?: string,
  ) {}

  available(): ModelSummary[] {
    return (this.listing ??= listModels(this.root));
  }

  private find(name: string): ModelSummary | undefined {
    const known = this.available().find((m) => m.name === name);
    if (known) return known;
    this.listing = undefined; // a model installed since the last look
    return this.available().find((m) => m.name === name);
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  get(name: string): Promise<LoadedModel> {
    let model = this.loaded.get(name);
    if (!model) {
      const summary = this.find(name);
      if (!summary) return Promise.reject(new ModelError(`unknown model "${name}"`));
      model = loadModel(summary.dir, this.runtime);
      model.catch(() => this.loaded.delete(name));
      this.loaded.set(name, model);
    }
    return model;
  }

  async close(): Promise<void> {
    const models = await Promise.allSettled([...this.loaded.values()]);
    this.loaded.clear();
    for (const m of models) if (m.status === "fulfilled") await m.value.release();
  }
}
