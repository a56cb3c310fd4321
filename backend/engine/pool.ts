// Loaded models by name: each is opened once, on first use, and shared by all jobs.
import { statSync } from "node:fs";
import { ModelError } from "./errors";
import { loadModel, type LoadedModel } from "./model";
import type { RuntimeOptions } from "./providers";
import { listModels, modelsDir, type ModelSummary } from "./registry";

/** Changes when a model folder is added to or taken from the directory (both rename into it). */
function folderStamp(dir: string): number {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return -1;
  }
}

export class ModelPool {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  /**
   * Listing reads every model folder, so it is done again only when the models directory changed
   * (a model pulled or removed while the server runs) or an unknown name is asked for.
   */
  private listing?: ModelSummary[];
  private stamp = -1;

  constructor(
    private readonly runtime: RuntimeOptions,
    private readonly root?: string
  ) {}

  available(): ModelSummary[] {
    const stamp = folderStamp(this.root ?? modelsDir());
    if (!this.listing || stamp !== this.stamp) {
      this.listing = listModels(this.root);
      this.stamp = stamp;
    }
    return this.listing;
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
