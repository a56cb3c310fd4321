// Offline validation of unified (JSON) app manifests against the Microsoft 365 app manifest
// schema in schemas/app-manifest, with ajv: the schema is JSON Schema draft-04, hence ajv-draft-04.
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const appManifestSchema = join(
  resolve(import.meta.dirname, "..", ".."),
  "schemas",
  "app-manifest",
  "MicrosoftTeams.schema.v1.29.json"
);

export interface JsonValidationResult {
  valid: boolean;
  /** One line per problem: the JSON pointer of the offending value and what is wrong with it. */
  errors: string[];
}

let compiled: ReturnType<Ajv["compile"]> | undefined;

function validator(): ReturnType<Ajv["compile"]> {
  if (!compiled) {
    // The schema carries descriptive keywords of its own (deprecationMessage …): not strict.
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile(JSON.parse(readFileSync(appManifestSchema, "utf8")));
  }
  return compiled;
}

export function validateAppManifest(manifest: unknown): JsonValidationResult {
  const validate = validator();
  if (validate(manifest)) return { valid: true, errors: [] };
  const errors = (validate.errors ?? []).map(
    (e) =>
      `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`
  );
  return { valid: false, errors: [...new Set(errors)] };
}
