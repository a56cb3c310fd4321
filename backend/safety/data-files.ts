import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The data files shipped with the service; an admin may point the loaders at a copy. */
export const defaultDataDir = fileURLToPath(new URL("./data/", import.meta.url));

/** A data file is missing, is not JSON, or does not match its schema. */
export class SafetyDataError extends Error {
  constructor(file: string, problem: string) {
    super(`Safety data file ${file}: ${problem}`);
    this.name = "SafetyDataError";
  }
}

export function readDataFile<S extends z.ZodType>(
  dataDir: string,
  name: string,
  schema: S
): z.infer<S> {
  const file = join(dataDir, name);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new SafetyDataError(file, err instanceof Error ? err.message : String(err));
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SafetyDataError(file, "\n" + z.prettifyError(parsed.error));
  return parsed.data;
}
