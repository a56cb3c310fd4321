// The task pane in headless Chromium against the real server and model: outside Office it uses
// the browser host, so "insert" downloads the image and copies it to the clipboard.
import { expect, it } from "@jest/globals";
import assert from "node:assert";
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import {
  addinBrowserSuite,
  screenshot,
  skipBrowser,
  tabTo,
  useSeed,
  watchProgress,
} from "./support";
import { describeUnless } from "../helpers/skip";

const PROMPT = "a misty lake at sunrise with pine-covered hills reflected in still water";

describeUnless(skipBrowser)("task pane", () => {
  const suite = addinBrowserSuite();

  async function openPane(): Promise<Page> {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.server.url}/taskpane.html`);
    await page.getByRole("textbox", { name: "Describe your image" }).waitFor();
    return page;
  }

  const liveRegion = (page: Page) => page.getByTestId("live-region");
  const results = (page: Page) => page.getByTestId("result");

  it("generates from a prompt: live progress with previews, then the results", async () => {
    const page = await openPane();
    assert.strictEqual(await page.evaluate(() => document.documentElement.dataset.host), "browser");
    await screenshot(page, "taskpane-empty");

    await page.getByRole("textbox", { name: "Describe your image" }).fill(PROMPT);
    await page.getByRole("radio", { name: /Wide, 16:9/ }).click();
    await page.getByRole("combobox", { name: "Images" }).selectOption("2");
    await useSeed(page);
    const progress = await watchProgress(page);
    // The embedded model can finish all eight steps within one frame on a fast machine, and the
    // page then renders only the last; a slow link spreads the stream's events over time.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: 96 * 1024,
      uploadThroughput: -1,
    });
    const posted = page.waitForRequest(
      (r) => r.url().endsWith("/api/generations") && r.method() === "POST"
    );
    await page.getByRole("button", { name: "Generate" }).click();

    expect(JSON.parse((await posted).postData() ?? "{}")).toStrictEqual({
      prompt: PROMPT,
      aspect: "wide",
      style: "none",
      n: 2,
      seed: 1,
    });
    await results(page).nth(1).waitFor();
    await cdp.detach();
    const seen = await progress();
    assert.ok(seen.progress, "the progress panel was shown");
    assert.ok(seen.preview, "a live preview was shown");
    assert.ok(seen.steps.length > 1, `steps were counted: ${seen.steps.join(", ")}`);
    assert.strictEqual(await results(page).count(), 2);
    await assert.doesNotReject(
      liveRegion(page).filter({ hasText: "2 images are ready." }).waitFor()
    );

    const images = results(page).locator("img");
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>("[data-testid=result] img")).every(
        (i) => i.complete && i.naturalWidth > 0
      )
    );
    const sizes = await images.evaluateAll((els) =>
      els.map((el) => [
        (el as HTMLImageElement).naturalWidth,
        (el as HTMLImageElement).naturalHeight,
      ])
    );
    for (const [w, h] of sizes)
      assert.ok(Math.abs(w / h - 16 / 9) < 0.05, `16:9 image, got ${w}×${h}`);
    assert.strictEqual(await images.first().getAttribute("alt"), PROMPT);
    await screenshot(page, "taskpane-results");
    await page.close();
  });

  it("inserts in a browser by downloading the PNG and copying it to the clipboard", async () => {
    const page = await openPane();
    await page.getByRole("textbox", { name: "Describe your image" }).fill("snowy peaks at sunset");
    await page.getByRole("combobox", { name: "Images" }).selectOption("1");
    await useSeed(page);
    await page.getByRole("button", { name: "Generate" }).click();
    await results(page).first().waitFor();

    const download = page.waitForEvent("download");
    await results(page).first().getByRole("button", { name: "Save" }).click();
    const file = await download;
    assert.strictEqual(file.suggestedFilename(), "snowy-peaks-at-sunset.png");
    const bytes = await readFile(await file.path());
    // a PNG
    expect([...bytes.subarray(1, 4)]).toStrictEqual([0x50, 0x4e, 0x47]);

    await page
      .getByText(/Downloaded snowy-peaks-at-sunset\.png and copied the image to the clipboard/)
      .first()
      .waitFor();
    const clipboard = await page.evaluate(async () =>
      (await navigator.clipboard.read()).flatMap((item) => item.types)
    );
    expect(clipboard).toStrictEqual(["image/png"]);
    await page.close();
  });

  it("sends thumbs up/down to /api/feedback and asks for more like an image with new seeds", async () => {
    const page = await openPane();
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("northern lights over a frozen lake");
    await page.getByRole("combobox", { name: "Images" }).selectOption("1");
    await useSeed(page);
    await page.getByRole("button", { name: "Generate" }).click();
    const card = results(page).first();
    await card.waitFor();

    const feedback = page.waitForResponse((r) => r.url().endsWith("/api/feedback"));
    await card.getByRole("button", { name: "Good image" }).click();
    const response = await feedback;
    assert.strictEqual(response.status(), 201);
    assert.strictEqual(JSON.parse(response.request().postData() ?? "{}").rating, "up");
    assert.strictEqual(
      await card.getByRole("button", { name: "Good image" }).getAttribute("aria-pressed"),
      "true"
    );
    const firstLabel = await card.getAttribute("aria-label");

    const again = page.waitForRequest(
      (r) => r.url().endsWith("/api/generations") && r.method() === "POST"
    );
    await card.getByRole("button", { name: "More like this" }).click();
    const body = JSON.parse((await again).postData() ?? "{}");
    assert.strictEqual(body.prompt, "northern lights over a frozen lake");
    assert.strictEqual(body.seed, undefined, "new seeds");
    // New seeds draw new pictures; the image filter withholds a few of this model's (docs/SAFETY.md),
    // and then the banner says so instead of a new result.
    await page.waitForFunction((label) => {
      const card = document.querySelector("[data-testid=result]");
      return (
        (card && card.getAttribute("aria-label") !== label) ||
        document.querySelector("[data-testid=status-blocked]")
      );
    }, firstLabel);
    await page.close();
  });

  it("shows a prompt blocked by the safety filter with its category, and no image", async () => {
    const page = await openPane();
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("a photo of a naked woman");
    const response = page.waitForResponse((r) => r.url().endsWith("/api/generations"));
    await page.getByRole("button", { name: "Generate" }).click();
    assert.strictEqual((await response).status(), 400);

    const banner = page.getByTestId("status-blocked");
    await banner.waitFor();
    assert.match(
      await banner.innerText(),
      /Blocked by the content filter[\s\S]*sexual content[\s\S]*No image was generated/
    );
    await liveRegion(page)
      .filter({ hasText: "Blocked: sexual content. No image was generated." })
      .waitFor();
    assert.strictEqual(await results(page).count(), 0);
    assert.strictEqual(await page.getByTestId("progress").count(), 0);
    await screenshot(page, "taskpane-blocked");
    await page.close();
  });

  it("says when the server can't be reached, and Retry recovers", async () => {
    const page = await openPane();
    await page.route("**/api/generations", (route) => route.abort("connectionrefused"));
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("a valley filled with morning fog");
    await page.getByRole("combobox", { name: "Images" }).selectOption("1");
    await page.getByRole("button", { name: "Generate" }).click();
    const banner = page.getByTestId("status-unreachable");
    await banner.waitFor();
    assert.match(await banner.innerText(), /Can't reach Lumen/);
    await screenshot(page, "taskpane-unreachable");

    await page.unroute("**/api/generations");
    await banner.getByRole("button", { name: "Retry" }).click();
    await results(page).first().waitFor();
    assert.strictEqual(await page.getByTestId("status-unreachable").count(), 0);
    await page.close();
  });

  it("works by keyboard alone: type, choose an aspect with the arrow keys, generate, save", async () => {
    const page = await openPane();
    await page.locator("body").focus();
    await tabTo(page, "textarea");
    await page.keyboard.type("dramatic storm clouds over a rocky coast");
    await tabTo(page, "[role=radio][aria-checked=true]");
    await page.keyboard.press("ArrowRight"); // Square → 16:9
    await page.keyboard.press("Space");
    assert.strictEqual(
      await page.getByRole("radio", { name: /Wide, 16:9/ }).getAttribute("aria-checked"),
      "true"
    );
    await tabTo(page, "select");
    await tabTo(page, "button[type=submit]");
    await page.keyboard.press("Enter");

    await liveRegion(page)
      .filter({ hasText: /images? (is|are) ready/ })
      .waitFor();
    await tabTo(page, "[data-testid=result] [data-action=insert]");
    const download = page.waitForEvent("download");
    await page.keyboard.press("Enter");
    assert.match(
      (await download).suggestedFilename(),
      /^dramatic-storm-clouds-over-a-rocky-coast\.png$/
    );

    // Ctrl+Enter in the prompt box generates too.
    await page.getByRole("textbox", { name: "Describe your image" }).focus();
    const posted = page.waitForRequest(
      (r) => r.url().endsWith("/api/generations") && r.method() === "POST"
    );
    await page.keyboard.press("Control+Enter");
    assert.strictEqual(JSON.parse((await posted).postData() ?? "{}").aspect, "wide");
    await screenshot(page, "taskpane-keyboard");
    await page.close();
  });

  it("asks for a prompt instead of sending an empty one, and validates the advanced fields", async () => {
    const page = await openPane();
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByText("Describe the image you want.").waitFor();
    assert.ok(
      await page.evaluate(() => document.activeElement?.tagName === "TEXTAREA"),
      "focus moves to the prompt"
    );

    await page.getByRole("button", { name: "Advanced options" }).click();
    await page.getByRole("textbox", { name: "Seed" }).fill("-3");
    await page.getByRole("textbox", { name: "Describe your image" }).fill("a lake");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByText(/A whole number from 0 to/).waitFor();
    assert.strictEqual(await page.getByTestId("progress").count(), 0);
    await page.close();
  });

  it("follows the system's dark and high-contrast themes outside Office", async () => {
    const page = await openPane();
    const theme = () => page.locator("[data-theme]").first().getAttribute("data-theme");
    assert.strictEqual(await theme(), "light");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(
      () => document.querySelector("[data-theme]")?.getAttribute("data-theme") === "dark"
    );
    await page.waitForTimeout(500); // Fluent's colour transitions
    await screenshot(page, "taskpane-dark");
    await page.emulateMedia({ colorScheme: "dark", forcedColors: "active" });
    await page.waitForFunction(
      () => document.querySelector("[data-theme]")?.getAttribute("data-theme") === "highContrast"
    );
    assert.strictEqual(await theme(), "highContrast");
    await page.close();
  });
});
