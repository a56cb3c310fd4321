// `lumen models pull`: a Hub repository in the diffusers ONNX layout → models/<name>/.
//
// 1. Resolve the revision to a commit (model info) and list the repository's files at it.
// 2. Read model_index.json and refuse, in one line, a repository the engine cannot run — before
//    any large file is downloaded. Otherwise keep only what the engine needs.
// 3. Download each file into the cache (resumable, verified; see download.ts).
// 4. Check every ONNX graph's external data files are there, then link the files into a hidden
//    staging folder under models/ and rename it into place: the model appears whole or not at all.
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { join, posix } from "node:path";
import { listFiles, modelInfo } from "@huggingface/hub";
import { readOnnxInfo } from "../engine/onnx-info";
import { downloadToCache, expectedDigest } from "./download";
import { PullError } from "./errors";
import { installFolder } from "./install";
import { selectFiles, type Family, type RepoFile } from "./layout";
import { checkModelName, defaultModelName, parseRepoRef } from "./repo-ref";
import { DEFAULT_ENDPOINT, HubSession } from "./session";

export interface PullOptions {
  /** owner/name[@revision] */
  ref: string;
  name?: string;
  modelsDir: string;
  /** Where partial and finished downloads wait until the model is complete. */
  cacheDir: string;
  endpoint?: string;
  token?: string;
  onEvent?(event: PullEvent): void;
  /** Attempts per file and the first pause between them (tests shorten these). */
  attempts?: number;
  retryDelayMs?: number;
}

export type PullEvent =
  | {
      type: "resolved";
      repo: string;
      revision: string;
      commit: string;
      family: Family;
      files: RepoFile[];
      bytes: number;
      skipped: RepoFile[];
    }
  | { type: "file"; path: string; size: number; index: number }
  /** Bytes of the file already in the cache (all of them when an earlier pull finished it). */
  | { type: "resume"; path: string; from: number; size: number }
  | { type: "progress"; path: string; bytes: number; size: number }
  | { type: "retry"; path: string; attempt: number; reason: string };

export interface PullResult {
  name: string;
  dir: string;
  repo: string;
  revision: string;
  commit: string;
  family: Family;
  bytes: number;
  license?: string;
}

/** The folder for downloads in progress: LUMEN_CACHE_DIR, else the user's cache directory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LUMEN_CACHE_DIR) return env.LUMEN_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(env.HOME || env.USERPROFILE || ".", ".cache");
  return join(base, "lumen");
}

/** The Hub address: HF_ENDPOINT (a mirror, a proxy), else huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/.test(endpoint))
    throw new PullError(`HF_ENDPOINT "${endpoint}" is not an http(s) address`);
  return endpoint;
}

const GB = 1e9;
const fmtBytes = (n: number) =>
  n >= GB ? `${(n / GB).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`;

function licenseOf(cardData: unknown): string | undefined {
  const card = cardData as { license?: unknown; license_name?: unknown } | undefined;
  const license = card?.license_name ?? card?.license;
  return typeof license === "string" && license ? license : undefined;
}

/** Free bytes where the downloads go, or undefined where the platform cannot say. */
function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  const { repo, revision } = parseRepoRef(options.ref);
  const name = options.name !== undefined ? checkModelName(options.name) : defaultModelName(repo);
  const target = join(options.modelsDir, name);
  if (existsSync(target)) {
    throw new PullError(
      `a model named ${name} is already installed (${target}); choose another --name or remove it with: lumen models rm ${name}`
    );
  }
  const token = options.token || undefined;
  // @huggingface/hub refuses other tokens with a TypeError; say it in the user's terms.
  if (token && !token.startsWith("hf_"))
    throw new PullError("HF_TOKEN is not a Hugging Face access token (those start with hf_)");
  const session = new HubSession(options.endpoint ?? DEFAULT_ENDPOINT, repo, revision, token);
  if (options.attempts) session.attempts = options.attempts;
  if (options.retryDelayMs !== undefined) session.retryDelayMs = options.retryDelayMs;
  const emit = options.onEvent ?? (() => {});
  const hub = { hubUrl: session.endpoint, accessToken: token, fetch: session.fetch };

  const fail = (error: unknown): never => {
    throw new PullError(session.explain(error).message);
  };

  // 1. The commit the revision points at, and every file at that commit.
  const info = await modelInfo({
    ...hub,
    name: repo,
    revision,
    additionalFields: ["sha", "cardData"],
  }).catch(fail);
  session.commit = info.sha;
  if (info.gated && !token) {
    throw new PullError(
      `${repo} is gated: accept its conditions at ${session.endpoint}/${repo}, then set HF_TOKEN to an access token of that account`
    );
  }
  const listing: RepoFile[] = [];
  try {
    for await (const entry of listFiles({
      ...hub,
      repo,
      revision: session.commit,
      recursive: true,
    })) {
      if (entry.type === "file")
        listing.push({ path: entry.path, size: entry.size, oid: entry.oid, lfs: entry.lfs });
    }
  } catch (e) {
    fail(e);
  }

  // 2. Can the engine run it? model_index.json is a few hundred bytes; nothing large is fetched yet.
  const indexFile = listing.find((f) => f.path === "model_index.json");
  if (!indexFile)
    throw new PullError(
      `${repo} cannot run in Lumen: it is not a diffusers pipeline (no model_index.json)`
    );
  mkdirSync(options.cacheDir, { recursive: true });
  const indexPath = await downloadToCache(session, indexFile, options.cacheDir);
  let selection: ReturnType<typeof selectFiles>;
  try {
    let index: Record<string, unknown>;
    try {
      index = JSON.parse(readFileSync(indexPath, "utf8"));
    } catch (e) {
      throw new PullError(`${repo}'s model_index.json is not valid JSON: ${(e as Error).message}`);
    }
    selection = selectFiles(repo, listing, index);
  } catch (e) {
    rmSync(indexPath, { force: true }); // a refused repository leaves nothing behind
    throw e;
  }
  emit({
    type: "resolved",
    repo,
    revision,
    commit: session.commit,
    family: selection.family,
    files: selection.files,
    bytes: selection.bytes,
    skipped: selection.skipped,
  });

  const free = freeBytes(options.cacheDir);
  if (free !== undefined && free < selection.bytes) {
    // Files already in the cache count as downloaded; only a shortfall after them stops the pull.
    const needed = selection.files
      .filter((f) => !existsSync(join(options.cacheDir, expectedDigest(f).hex)))
      .reduce((sum, f) => sum + f.size, 0);
    if (free < needed)
      throw new PullError(
        `${repo} needs ${fmtBytes(needed)} in ${options.cacheDir}, which has ${fmtBytes(free)} free`
      );
  }

  // 3. Download.
  const local = new Map<string, string>();
  local.set(indexFile.path, indexPath);
  let n = 0;
  for (const file of selection.files) {
    n++;
    if (local.has(file.path)) continue;
    emit({ type: "file", path: file.path, size: file.size, index: n });
    const path = await downloadToCache(session, file, options.cacheDir, {
      onResume: (from) => emit({ type: "resume", path: file.path, from, size: file.size }),
      onProgress: (bytes) => emit({ type: "progress", path: file.path, bytes, size: file.size }),
      onRetry: (attempt, reason) => emit({ type: "retry", path: file.path, attempt, reason }),
    });
    local.set(file.path, path);
  }

  // 4. Every graph's external weights must be among the files, or the model would fail to load.
  for (const [path, blob] of local) {
    if (!path.endsWith(".onnx")) continue;
    let external: Set<string>;
    try {
      external = readOnnxInfo(blob).externalFiles;
    } catch (e) {
      throw new PullError(`${path} is not a readable ONNX file: ${(e as Error).message}`);
    }
    for (const location of external) {
      const needed = posix.join(posix.dirname(path), location);
      if (!local.has(needed))
        throw new PullError(
          `${repo} cannot run in Lumen: ${path} keeps its weights in ${needed}, which the repository does not have`
        );
    }
  }

  const license = licenseOf(info.cardData);
  installFolder(local, target, {
    repo,
    revision,
    commit: session.commit,
    endpoint: session.endpoint,
    license,
    files: Object.fromEntries(
      selection.files.map((f) => [
        f.path,
        f.lfs ? { sha256: f.lfs.oid, size: f.size } : { gitOid: f.oid, size: f.size },
      ])
    ),
  });
  return {
    name,
    dir: target,
    repo,
    revision,
    commit: session.commit,
    family: selection.family,
    bytes: selection.bytes,
    license,
  };
}
