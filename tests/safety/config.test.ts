// The safety provider's configuration: environment variables, the tenant policy that overrides
// them, and the errors a wrong value gets.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { ConfigError, loadConfig } from "../../backend/config";

const dir = mkdtempSync(join(tmpdir(), "lumen-safety-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const azureEnv = {
  LUMEN_SAFETY_PROVIDER: "azure",
  LUMEN_AZURE_CONTENT_SAFETY_ENDPOINT: "https://contoso.cognitiveservices.azure.com",
  LUMEN_AZURE_CONTENT_SAFETY_KEY: "k",
};

describe("safety provider configuration", () => {
  it("defaults to the built-in filters alone, failing closed if a provider is added", () => {
    const c = loadConfig({}, {});
    assert.equal(c.safetyProvider, "builtin");
    assert.equal(c.safetyFailureMode, "closed");
    assert.equal(c.azureContentSafetyApiVersion, "2024-09-01");
  });

  it("reads the Azure settings from LUMEN_* variables, thresholds as Category=severity", () => {
    const c = loadConfig(
      {},
      {
        ...azureEnv,
        LUMEN_SAFETY_FAILURE_MODE: "builtin",
        LUMEN_AZURE_CONTENT_SAFETY_THRESHOLDS: "Hate=2, Violence=6",
        LUMEN_AZURE_CONTENT_SAFETY_BLOCKLISTS: "contoso-terms,brand-names",
        LUMEN_AZURE_CONTENT_SAFETY_TIMEOUT_MS: "3000",
      }
    );
    assert.equal(c.safetyProvider, "azure");
    assert.equal(c.safetyFailureMode, "builtin");
    expect(c.azureContentSafetyThresholds).toStrictEqual({ Hate: 2, Violence: 6 });
    expect(c.azureContentSafetyBlocklists).toStrictEqual(["contoso-terms", "brand-names"]);
    assert.equal(c.azureContentSafetyTimeoutMs, 3000);
  });

  it("refuses wrong values with the variable's name", () => {
    const wrong: Array<[env: Record<string, string>, message: RegExp]> = [
      [{ LUMEN_SAFETY_PROVIDER: "azure" }, /LUMEN_AZURE_CONTENT_SAFETY_ENDPOINT is required/],
      [
        {
          ...azureEnv,
          LUMEN_AZURE_CONTENT_SAFETY_ENDPOINT: "http://contoso.cognitiveservices.azure.com",
        },
        /azureContentSafetyEndpoint: must be an https/,
      ],
      [
        { ...azureEnv, LUMEN_AZURE_CONTENT_SAFETY_THRESHOLDS: "Violence=9" },
        /azureContentSafetyThresholds/,
      ],
      [
        { ...azureEnv, LUMEN_AZURE_CONTENT_SAFETY_THRESHOLDS: "Gore=4" },
        /azureContentSafetyThresholds/,
      ],
      [
        { ...azureEnv, LUMEN_AZURE_CONTENT_SAFETY_CLIENT_SECRET: "s" },
        /TENANT_ID and LUMEN_AZURE_CONTENT_SAFETY_CLIENT_ID are required/,
      ],
      [{ LUMEN_SAFETY_FAILURE_MODE: "open" }, /safetyFailureMode/],
    ];
    for (const [env, message] of wrong)
      assert.throws(
        () => loadConfig({}, env),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
        JSON.stringify(env)
      );
  });

  it("lets the tenant policy set provider, failure mode, thresholds and blocklists over the environment", () => {
    const policy = join(dir, "policy.json");
    writeFileSync(
      policy,
      JSON.stringify({
        contentSafety: {
          provider: "azure",
          failureMode: "builtin",
          thresholds: { Sexual: 2 },
          blocklists: ["tenant-list"],
          haltOnBlocklistHit: false,
        },
      })
    );
    const c = loadConfig(
      {},
      {
        ...azureEnv,
        LUMEN_SAFETY_PROVIDER: "builtin",
        LUMEN_AZURE_CONTENT_SAFETY_THRESHOLDS: "Sexual=6",
        LUMEN_POLICY: policy,
      }
    );
    assert.equal(c.safetyProvider, "azure");
    assert.equal(c.safetyFailureMode, "builtin");
    expect(c.azureContentSafetyThresholds).toStrictEqual({ Sexual: 2 });
    expect(c.azureContentSafetyBlocklists).toStrictEqual(["tenant-list"]);
    assert.equal(c.azureContentSafetyHaltOnBlocklistHit, false);
  });

  it("refuses a tenant policy with a threshold out of range or a bad blocklist name", () => {
    for (const contentSafety of [
      { thresholds: { Hate: 0 } },
      { blocklists: ["has space"] },
      { provider: "other" },
    ]) {
      const policy = join(dir, "bad.json");
      writeFileSync(policy, JSON.stringify({ contentSafety }));
      assert.throws(
        () => loadConfig({}, { LUMEN_POLICY: policy }),
        (e: Error) => e instanceof ConfigError && /contentSafety/.test(e.message)
      );
    }
  });
});
