// `owner/name[@revision]` as the user types it, and the folder name a pulled model gets.
import { PullError } from "./errors";

export interface RepoRef {
  repo: string;
  revision: string;
}

// The Hub's rules for repository ids: letters, digits, "-", "_", "."; no "--" or ".."; at most
// 96 characters per part; an owner is optional for a few old repositories ("gpt2").
const PART = /^(?!.*(--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;

export function parseRepoRef(input: string): RepoRef {
  const at = input.indexOf("@");
  const repo = at < 0 ? input : input.slice(0, at);
  const revision = at < 0 ? "main" : input.slice(at + 1);
  const parts = repo.split("/");
  if (parts.length > 2 || !parts.every((p) => PART.test(p))) {
    throw new PullError(
      `"${input}" is not a Hugging Face repository id (owner/name, optionally @revision)`
    );
  }
  if (at >= 0 && !/^[\w./-]{1,255}$/.test(revision))
    throw new PullError(`"${revision}" is not a revision (a branch, tag or commit)`);
  return { repo, revision };
}

/** Folder names under models/: what `--name`, LUMEN_MODEL and the API's `model` field use. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkModelName(name: string): string {
  if (!NAME.test(name) || name.includes("..")) {
    throw new PullError(
      `"${name}" is not a model name: use letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)`
    );
  }
  return name;
}

/** stabilityai/sd-turbo → sd-turbo. */
export function defaultModelName(repo: string): string {
  return checkModelName(repo.split("/").pop()!);
}
