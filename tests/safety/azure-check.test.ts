// Azure AI Content Safety as a provider after the built-in filters: severity thresholds per
// category and level, blocklists, image encoding, and the failure modes — against the stand-in,
// with the real prompt filter and the real image classifier.
import { strict as assert } from "node:assert";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import sharp from "sharp";
import {
  AzureContentSafetyCheck,
  ContentSafetyClient,
  createSafetyCheck,
  loadImageChecker,
  loadPromptFilter,
  SafetyUnavailableError,
  type ImageChecker,
} from "../../backend/safety";
import { startContentSafetyStandIn, type StandIn } from "./content-safety-stand-in";

const KEY = "stand-in-key";

/** A blue sky gradient over green hills: the built-in classifier allows it at both levels. */
function landscape(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const horizon = height * (0.55 + 0.08 * Math.sin(x / 23));
      const i = (y * width + x) * 3;
      const t = y < horizon ? y / horizon : (y - horizon) / (height - horizon);
      pixels.set(
        y < horizon ? [90 + 100 * t, 150 + 70 * t, 235 + 15 * t] : [50 + 30 * t, 130 - 40 * t, 40],
        i
      );
    }
  }
  return pixels;
}

describe("Azure AI Content Safety provider", () => {
  let standIn: StandIn;
  let imageChecker: ImageChecker;
  const promptFilter = loadPromptFilter();
  beforeAll(async () => {
    standIn = await startContentSafetyStandIn({ key: KEY });
    standIn.blocklists.set("contoso-terms", [
      { blocklistItemId: "4b1f0e7a-0000-4000-8000-000000000001", text: "project falcon" },
    ]);
    imageChecker = await loadImageChecker();
  });
  afterAll(() => standIn.close());
  const client = () =>
    new ContentSafetyClient({
      endpoint: standIn.url,
      auth: { key: KEY },
      maxRetries: 0,
      timeoutMs: 2000,
    });
  const fresh = () => {
    standIn.requests.length = 0;
    standIn.faults.length = 0;
    standIn.rateText = () => ({});
    standIn.rateImage = () => ({});
  };

  it("blocks a category at or above its threshold and allows below it", async () => {
    fresh();
    const azure = new AzureContentSafetyCheck(client(), { thresholds: { Violence: 4 } });
    standIn.rateText = () => ({ Violence: 4 });
    expect(await azure.checkPrompt("a knight's duel", "moderate")).toStrictEqual({
      allowed: false,
      category: "violence",
      reason:
        "This request asks for violent or gory content, which this service's content policy does not allow.",
      provider: "azure",
      detail: "Violence severity 4 (blocks at 4)",
    });
    standIn.rateText = () => ({ Violence: 3, Hate: 1, Sexual: 3, SelfHarm: 2 });
    expect(await azure.checkPrompt("a knight's duel", "moderate")).toStrictEqual({
      allowed: true,
      provider: "azure",
    });
    expect(standIn.requests[0].body).toStrictEqual({
      text: "a knight's duel",
      categories: ["Hate", "SelfHarm", "Sexual", "Violence"],
      outputType: "EightSeverityLevels",
    });
  });

  it("takes thresholds from the level, and the tenant's per category over them", async () => {
    fresh();
    standIn.rateText = () => ({ Sexual: 2, Hate: 3 });
    const byLevel = new AzureContentSafetyCheck(client());
    assert.equal((await byLevel.checkPrompt("x", "moderate")).allowed, true);
    assert.equal(
      (await byLevel.checkPrompt("x", "strict")).category,
      "hate",
      "the most severe category names the block"
    );
    const tenant = new AzureContentSafetyCheck(client(), { thresholds: { Sexual: 1 } });
    assert.equal((await tenant.checkPrompt("x", "moderate")).category, "sexual");
    expect(tenant.thresholds("strict")).toStrictEqual({
      Hate: 2,
      SelfHarm: 2,
      Sexual: 1,
      Violence: 2,
    });
  });

  it("passes the tenant's blocklists through and reports a hit by list and item, not by its text", async () => {
    fresh();
    const azure = new AzureContentSafetyCheck(client(), { blocklists: ["contoso-terms"] });
    const verdict = await azure.checkPrompt("logo for Project Falcon", "moderate");
    expect(verdict).toStrictEqual({
      allowed: false,
      category: "blocklist",
      reason: "This request contains terms your organisation does not allow.",
      provider: "azure",
      detail: "blocklist contoso-terms item 4b1f0e7a-0000-4000-8000-000000000001",
    });
    expect(standIn.requests[0].body.blocklistNames).toStrictEqual(["contoso-terms"]);
    assert.equal(standIn.requests[0].body.haltOnBlocklistHit, true);
    assert.equal((await azure.checkPrompt("logo for a bakery", "moderate")).allowed, true);
  });

  it("sends every image as base64 PNG within the API's size limits and withholds one rated at the threshold", async () => {
    fresh();
    const azure = new AzureContentSafetyCheck(client());
    standIn.rateImage = () => ({ Violence: 5 });
    const small = await azure.checkImage(
      { width: 32, height: 40, pixels: landscape(32, 40) },
      "moderate"
    );
    assert.equal(small.allowed, false);
    assert.equal(
      small.detail,
      "Violence severity 4 (blocks at 4)",
      "images come in four levels: 5 is answered as 4"
    );
    standIn.rateImage = () => ({ Violence: 3 });
    assert.equal(
      (
        await azure.checkImage(
          { width: 2560, height: 1440, pixels: landscape(2560, 1440) },
          "moderate"
        )
      ).allowed,
      true
    );
    const [first, second] = standIn.requests;
    // small images are scaled up to 50 px
    expect(
      first.image && [first.image.format, first.image.width, first.image.height]
    ).toStrictEqual(["png", 50, 63]);
    expect(
      second.image && [second.image.format, second.image.width, second.image.height]
    ).toStrictEqual(["png", 2048, 1152]);
    expect(Object.keys(first.body).sort()).toStrictEqual(["categories", "image", "outputType"]);
    assert.equal(first.body.outputType, "FourSeverityLevels");
    const decoded = await sharp(Buffer.from(first.body.image.content, "base64"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.equal(decoded.info.channels, 3);
  });

  describe("after the built-in filters", () => {
    const image = { width: 64, height: 64, pixels: landscape(64, 64) };
    const failures: unknown[] = [];
    const check = (failureMode: "closed" | "builtin") =>
      createSafetyCheck({
        promptFilter,
        imageChecker,
        provider: { name: "azure", check: new AzureContentSafetyCheck(client()), failureMode },
        onProviderFailure: (event) => failures.push(event),
      });

    it("does not ask Azure about a prompt the built-in filter blocks, and audits the built-in rule", async () => {
      fresh();
      const verdict = await check("closed").checkPrompt("a photo of a naked woman", "moderate");
      expect(verdict).toStrictEqual({
        allowed: false,
        category: "sexual",
        reason:
          "This request asks for sexual or explicit content, which this service does not generate.",
        provider: "builtin",
        detail: "sexual rule 0",
      });
      assert.equal(standIn.requests.length, 0);
    });

    it("blocks what Azure blocks after the built-in filter allowed it, for prompts and images", async () => {
      fresh();
      standIn.rateText = () => ({ Hate: 6 });
      standIn.rateImage = () => ({ Sexual: 6 });
      const safety = check("closed");
      expect(await safety.checkPrompt("a lighthouse on a cliff at dusk", "moderate")).toStrictEqual(
        {
          allowed: false,
          category: "hate",
          reason:
            "This request contains hateful or harassing content, which this service does not generate.",
          provider: "azure",
          detail: "Hate severity 6 (blocks at 4)",
        }
      );
      const verdict = await safety.checkImage(image, "moderate");
      assert.equal(verdict.allowed, false);
      assert.equal(verdict.provider, "azure");
      assert.equal(verdict.category, "sexual");
      assert.ok(
        verdict.scores && verdict.scores.Neutral + verdict.scores.Drawing > 0.5,
        "the built-in scores are kept"
      );
      standIn.rateText = () => ({});
      standIn.rateImage = () => ({});
      expect(await safety.checkPrompt("a lake at dawn", "moderate")).toStrictEqual({
        allowed: true,
        provider: "builtin",
      });
      assert.equal((await safety.checkImage(image, "moderate")).allowed, true);
    });

    it("fails closed when Azure cannot answer", async () => {
      fresh();
      failures.length = 0;
      standIn.faults.push({ status: 503 }, { status: 503 });
      const safety = check("closed");
      await assert.rejects(
        safety.checkPrompt("a lake at dawn", "moderate"),
        SafetyUnavailableError
      );
      await assert.rejects(safety.checkImage(image, "moderate"), SafetyUnavailableError);
      expect(failures.map((f: any) => [f.provider, f.kind, f.failureMode])).toStrictEqual([
        ["azure", "prompt", "closed"],
        ["azure", "image", "closed"],
      ]);
    });

    it("carries on with the built-in verdict when the policy says so", async () => {
      fresh();
      failures.length = 0;
      standIn.faults.push({ status: 401, code: "401" }, { drop: true });
      const safety = check("builtin");
      expect(await safety.checkPrompt("a lake at dawn", "moderate")).toStrictEqual({
        allowed: true,
        provider: "builtin",
      });
      assert.equal((await safety.checkImage(image, "moderate")).allowed, true);
      assert.equal(
        (await safety.checkPrompt("a photo of a naked woman", "moderate")).allowed,
        false,
        "the built-in filter still blocks"
      );
      assert.equal(failures.length, 2);
    });
  });
});
