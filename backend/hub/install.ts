// Putting a downloaded model into models/<name>/ and taking one out. Both go through a hidden
// folder beside the models (the listing skips names that start with "."), so a model is either
// there whole or not at all, whatever happens midway.
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { listModels, type ModelSummary } from "../engine/registry";
import { PullError } from "./errors";
import { isAlive } from "./pids";

/** source.json: where a pulled model came from, and the digest of every file as the Hub listed it. */
export interface ModelSource {
  repo: string;
  revision: string;
  commit: string;
  endpoint: string;
  license?: string;
  files: Record<string, { sha256?: string; gitOid?: string; size: number }>;
}

export const SOURCE_FILE = "source.json";

/** Removes what an install or removal that was killed midway left: `.incoming-*` / `.removing-*` of dead processes. */
function removeLeftovers(modelsDir: string): void {
  if (!existsSync(modelsDir)) return;
  for (const name of readdirSync(modelsDir)) {
    const m = /^\.(incoming|removing)-.+-(\d+)$/.exec(name);
    if (m && !isAlive(Number(m[2])))
      rmSync(join(modelsDir, name), { recursive: true, force: true });
  }
}

/**
 * Creates `target` from cached files (repository path → cached copy). The copies are hard-linked
 * (copied across file systems) into a staging folder that is renamed into place; the cache's
 * entries are removed only once the model is installed.
 */
export function installFolder(
  files: Map<string, string>,
  target: string,
  source: ModelSource
): void {
  removeLeftovers(dirname(target));
  const staging = join(dirname(target), `.incoming-${basename(target)}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    for (const [path, cached] of files) {
      const dest = resolve(staging, path);
      if (relative(staging, dest).startsWith("..") || !dest.startsWith(staging + sep))
        throw new PullError(`refusing the file path ${path}`);
      mkdirSync(dirname(dest), { recursive: true });
      try {
        linkSync(cached, dest);
      } catch (e) {
        if (
          !["EXDEV", "EPERM", "ENOTSUP", "EEXIST"].includes((e as NodeJS.ErrnoException).code ?? "")
        )
          throw e;
        copyFileSync(cached, dest);
      }
    }
    writeFileSync(
      join(staging, SOURCE_FILE),
      JSON.stringify({ ...source, pulledAt: new Date().toISOString() }, null, 2) + "\n"
    );
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (
      (e as NodeJS.ErrnoException).code === "ENOTEMPTY" ||
      (e as NodeJS.ErrnoException).code === "EEXIST"
    ) {
      throw new PullError(`a model named ${basename(target)} was installed meanwhile (${target})`);
    }
    throw e;
  }
  for (const cached of new Set(files.values())) rmSync(cached, { force: true });
}

/** Removes the model called `name` (its lumen.json name or its folder's) from `modelsDir`. */
export function removeModel(
  modelsDir: string,
  name: string,
  options: { protect?: string[] } = {}
): ModelSummary {
  removeLeftovers(modelsDir);
  const models = listModels(modelsDir);
  const model = models.find((m) => m.name === name) ?? models.find((m) => basename(m.dir) === name);
  if (!model) {
    const names = models.map((m) => m.name).join(", ");
    throw new PullError(`no model named ${name} in ${modelsDir} (installed: ${names || "none"})`);
  }
  if (options.protect?.includes(model.name))
    throw new PullError(`${model.name} is Lumen's embedded default model and stays installed`);
  const trash = join(modelsDir, `.removing-${basename(model.dir)}-${process.pid}`);
  renameSync(model.dir, trash);
  rmSync(trash, { recursive: true, force: true });
  return model;
}
