// The task pane's waiting states against the real server: a place in the queue, Cancel, and the
// wait the server asks for (Retry-After) when this client is rate limited.
import { afterAll, beforeAll, it } from "@jest/globals";
import assert from "node:assert";
import type { TestServer } from "../helpers/server";
import { addinBrowserSuite, screenshot, skipBrowser, startAddinServer, useSeed } from "./support";
import { describeUnless } from "../helpers/skip";

describeUnless(skipBrowser)("task pane: queue, cancel and rate limit", () => {
  const suite = addinBrowserSuite();
  let limited: TestServer;
  beforeAll(async () => {
    // One generation request per minute, so the second one is refused with Retry-After.
    limited = await startAddinServer({ rateLimitMax: 1, rateLimitWindowMs: 60_000 });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it("shows the place in the queue, and Cancel stops the generation before anything is made", async () => {
    // Long, mutually incompatible jobs ahead of ours (no micro-batching can merge them with it),
    // enough of them that two still wait after the page has loaded on a slow machine.
    const ahead = [
      { prompt: "a lake", n: 4, steps: 50, aspect: "square" },
      { prompt: "a lake", n: 4, steps: 49, aspect: "wide" },
      { prompt: "a lake", n: 4, steps: 48, aspect: "portrait" },
      { prompt: "a lake", n: 4, steps: 47, aspect: "square" },
      { prompt: "a lake", n: 4, steps: 46, aspect: "wide" },
      { prompt: "a lake", n: 4, steps: 45, aspect: "portrait" },
    ];
    for (const json of ahead)
      assert.strictEqual(
        (await suite.server.api("/api/generations", { method: "POST", json })).status,
        202
      );

    const page = await suite.browser.newPage();
    await page.goto(`${suite.server.url}/taskpane.html`);
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("a valley filled with morning fog");
    await page.getByRole("button", { name: "Generate" }).click();
    const progress = page.getByTestId("progress");
    await progress.getByText("Waiting in line").waitFor();
    await screenshot(page, "taskpane-queued");

    const cancelled = page.waitForResponse((r) => r.request().method() === "DELETE");
    await progress.getByRole("button", { name: "Cancel" }).click();
    assert.strictEqual((await cancelled).status(), 202);
    const banner = page.getByTestId("status-cancelled");
    await banner.waitFor();
    assert.match(await banner.innerText(), /Cancelled[\s\S]*Nothing was generated/);
    await page
      .getByTestId("live-region")
      .filter({ hasText: "Cancelled. Nothing was generated." })
      .waitFor();
    assert.strictEqual(await page.getByTestId("result").count(), 0);
    await screenshot(page, "taskpane-cancelled");
    await page.close();
  });

  it("when rate limited, says how long to wait (from Retry-After) and keeps Try again disabled until then", async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${limited.url}/taskpane.html`);
    await page.getByRole("textbox", { name: "Describe your image" }).fill("sand dunes at dusk");
    await page.getByRole("combobox", { name: "Images" }).selectOption("1");
    await useSeed(page);
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByTestId("result").first().waitFor();

    const refused = page.waitForResponse(
      (r) => r.url().endsWith("/api/generations") && r.request().method() === "POST"
    );
    await page.getByRole("button", { name: "Generate" }).click();
    const response = await refused;
    assert.strictEqual(response.status(), 429);
    const retryAfter = Number(response.headers()["retry-after"]);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${retryAfter}`);

    const banner = page.getByTestId("status-busy");
    await banner.waitFor();
    const text = await banner.innerText();
    const shown = Number(/try again in (\d+) s/.exec(text)?.[1]);
    assert.ok(shown > 0 && shown <= retryAfter, `the banner counts down from Retry-After: ${text}`);
    assert.ok(await banner.getByRole("button", { name: /Wait \d+ s/ }).isDisabled());
    await screenshot(page, "taskpane-rate-limited");
    await page.close();
  });
});
