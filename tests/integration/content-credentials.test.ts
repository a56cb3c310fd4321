// Content Credentials through the running server: every stored PNG and every converted copy
// carries a signed C2PA manifest that reads back valid, with the expected assertions.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import OpenAI from "openai";
import { loadConfig } from "../../backend/config";
import {
  readContentCredentials,
  readProvenance,
  TRAINED_ALGORITHMIC_MEDIA,
} from "../../backend/provenance";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";

describe("Content Credentials from the server", () => {
  let server: TestServer;
  let ca: string;
  beforeAll(async () => {
    server = await startTestServer();
    ca = readFileSync(join(server.dataDir, "c2pa", "dev-ca.pem"), "utf8");
  });
  afterAll(() => server.stop());

  async function generate(): Promise<string> {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dawn", width: 64, height: 64, steps: 2, seed: 5 },
    });
    const { id } = await res.json();
    const events = await readEvents(await server.api(`/api/generations/${id}/events`));
    return events.find((e) => e.type === "image")!.data.id;
  }

  it("signs every generated PNG: created by the model, trainedAlgorithmicMedia, Lumen; XMP and parameters stay", async () => {
    const imageId = await generate();
    const png = Buffer.from(await (await server.api(`/api/images/${imageId}.png`)).arrayBuffer());
    const report = (await readContentCredentials(png, { trustAnchors: ca }))!;
    assert.equal(report.state, "Trusted");
    assert.equal(report.manifest.title, `${imageId}.png`);
    const [created] = report.manifest.actions;
    assert.equal(created.action, "c2pa.created");
    assert.equal(created.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    expect(created.parameters).toStrictEqual({ model: "sd15" });
    assert.equal((created.softwareAgent as { name: string }).name, "Lumen");
    // Without trusting the development CA it is valid but untrusted, as the docs say.
    expect((await readContentCredentials(png))!.failures).toStrictEqual([
      "signingCredential.untrusted",
    ]);
    const xmp = await readProvenance(png);
    assert.equal(xmp.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    assert.match(xmp.parameters ?? "", /Seed: 5/);
  });

  it("signs converted and resized copies, naming the stored PNG as their original", async () => {
    const imageId = await generate();
    for (const path of [
      `/api/images/${imageId}.jpg`,
      `/api/images/${imageId}.webp?size=32`,
      `/api/images/${imageId}.png?size=32`,
    ]) {
      const bytes = Buffer.from(await (await server.api(path)).arrayBuffer());
      const report = (await readContentCredentials(bytes, { trustAnchors: ca }))!;
      assert.equal(report.state, "Trusted", path);
      expect({ message: path, actual: report.manifest.actions.map((a) => a.action) }).toStrictEqual(
        { message: path, actual: ["c2pa.opened", "c2pa.transcoded"] }
      );
      assert.equal(report.manifest.ingredients[0].title, `${imageId}.png`);
      // Asked again, the same copy comes back (from the server's cache), still valid.
      const again = Buffer.from(await (await server.api(path)).arrayBuffer());
      expect(again).toStrictEqual(bytes);
    }
  });

  it("the OpenAI-compatible route returns the signed PNG", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused" });
    const result = await client.images.generate({ prompt: "a lighthouse at dusk", size: "64x64" });
    const png = Buffer.from(result.data![0].b64_json!, "base64");
    assert.equal((await readContentCredentials(png, { trustAnchors: ca }))!.state, "Trusted");
  });

  it("keeps its development certificate across restarts", async () => {
    const chain = readFileSync(join(server.dataDir, "c2pa", "dev-signer-chain.pem"), "utf8");
    const second = await startTestServer({ dataDir: server.dataDir, port: 0 });
    try {
      assert.equal(
        readFileSync(join(server.dataDir, "c2pa", "dev-signer-chain.pem"), "utf8"),
        chain
      );
    } finally {
      await second.stop();
    }
  });
});

describe("Content Credentials configuration", () => {
  it("wants the key and the certificate chain together", () => {
    assert.throws(
      () => loadConfig({}, { LUMEN_C2PA_KEY: "/etc/lumen/c2pa.key" }),
      /c2paCert: LUMEN_C2PA_KEY and LUMEN_C2PA_CERT go together/
    );
  });

  it("refuses to start with a key that does not exist, naming it", async () => {
    await assert.rejects(
      startTestServer({ c2paKey: "/no/such/key.pem", c2paCert: "/no/such/chain.pem" }),
      /\/no\/such\/key.pem does not exist/
    );
  });
});
