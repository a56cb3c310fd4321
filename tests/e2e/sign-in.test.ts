// Sign-in in Chromium against the real server with LUMEN_AUTH=entra and a tenant policy of at most
// 2 images and the strict safety level. Entra is unreachable here; fake-entra.ts either leaves it so
// or answers for it. The page must show sign-in failing (with Try again) rather than break, adapt
// to the policy before anyone signs in, and once signed in send the token with every call.
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import assert from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { TestServer } from "../helpers/server";
import { startFakeEntra, type FakeEntra } from "./fake-entra";
import {
  launchBrowser,
  screenshot,
  skipBrowser,
  startAddinServer,
  useSeed,
  watchProgress,
  type Browser,
} from "./support";
import { describeUnless } from "../helpers/skip";

const TENANT = "11111111-1111-4111-8111-111111111111";
const OTHER_TENANT = "22222222-2222-4222-8222-222222222222";
const CLIENT_ID = "5b7e2c1a-0000-4000-8000-00000000c11e";
const AUDIENCE = `api://127.0.0.1/${CLIENT_ID}`;

describeUnless(skipBrowser)("sign-in and the tenant policy in the add-in", () => {
  let entra: FakeEntra;
  let server: TestServer;
  let policyDir: string;
  const browsers: Browser[] = [];

  beforeAll(async () => {
    entra = await startFakeEntra({ clientId: CLIENT_ID, audience: AUDIENCE });
    policyDir = mkdtempSync(join(tmpdir(), "lumen-policy-"));
    const policy = join(policyDir, "policy.json");
    writeFileSync(policy, JSON.stringify({ maxImagesPerRequest: 2, safetyLevel: "strict" }));
    server = await startAddinServer({
      auth: "entra",
      authAudience: AUDIENCE,
      authTenants: TENANT,
      authJwksUrl: entra.jwksUrl,
      authClientId: CLIENT_ID,
      policy,
    });
  });
  afterAll(async () => {
    for (const browser of browsers) await browser.close();
    await server?.stop();
    entra?.close();
    rmSync(policyDir, { recursive: true, force: true });
  });

  async function open(
    mode: Parameters<FakeEntra["attach"]>[1],
    path = "taskpane.html",
    size?: { width: number; height: number }
  ) {
    const browser = await launchBrowser(server.url);
    browsers.push(browser);
    await entra.attach(browser.context, mode);
    const page = await browser.newPage(size);
    const calls: { path: string; authorization?: string }[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.origin === server.url && /^\/(api|v1)\//.test(url.pathname))
        calls.push({ path: url.pathname, authorization: request.headers().authorization });
    });
    return { browser, page, calls, go: () => page.goto(`${server.url}/${path}`) };
  }

  const countChoices = (page: Page) =>
    page.getByRole("combobox", { name: "Images" }).locator("option").allInnerTexts();
  const generateButton = (page: Page, name = "Generate") =>
    page.getByRole("button", { name, exact: true });

  it("when Entra can't be reached, says sign-in failed and offers Try again; the page keeps working and recovers", async () => {
    const { browser, page, calls, go } = await open("unreachable");
    // MSAL waits 60 s for an answer from the sign-in window; the test's clock skips the wait.
    await page.clock.install();
    const signInWindow = browser.context.waitForEvent("page");
    await go();
    await page.getByTestId("signin-progress").waitFor();
    await signInWindow;
    await page.clock.fastForward("01:05");

    const banner = page.getByTestId("signin-failed");
    await banner.waitFor();
    assert.match(
      await banner.innerText(),
      /Sign-in failed[\s\S]*Sign-in didn't finish in time\. If the sign-in window showed an error, this computer may not reach login\.microsoftonline\.com\./
    );
    const generate = generateButton(page);
    assert.strictEqual(
      await generate.getAttribute("aria-disabled"),
      "true",
      "Generate waits for sign-in"
    );
    assert.strictEqual(
      await generate.getAttribute("aria-describedby"),
      "lumen-sign-in",
      "and says why"
    );
    // The policy is public: the pane already offers only what the organisation allows.
    expect(await countChoices(page)).toStrictEqual(["1", "2"]);
    await page.getByRole("textbox", { name: "Describe your image" }).fill("a lake at dawn");
    await screenshot(page, "taskpane-signin-failed");

    // Try again by keyboard: focus stays on the button while the next attempt runs.
    const again = banner.getByRole("button", { name: "Try again" });
    await again.focus();
    const secondWindow = browser.context.waitForEvent("page");
    await page.keyboard.press("Enter");
    await page.getByTestId("signin-progress").waitFor();
    await secondWindow;
    assert.ok(
      await page.evaluate(() => document.activeElement?.textContent?.includes("Try again")),
      "focus stayed on Try again"
    );
    await page.clock.fastForward("01:05");
    await page.getByTestId("signin-failed").waitFor();

    // without a token nothing but the public policy was asked for
    expect(calls.map((c) => c.path)).toStrictEqual(["/api/policy"]);
    assert.strictEqual(calls[0].authorization, undefined);

    // Once Entra answers again, Try again signs in and Generate becomes available.
    await entra.attach(browser.context, { tenant: TENANT });
    await page.getByTestId("signin-failed").getByRole("button", { name: "Try again" }).click();
    await page.getByTestId("signin-failed").waitFor({ state: "detached" });
    await page.waitForFunction(() => !document.getElementById("lumen-sign-in"));
    assert.strictEqual(await generateButton(page).getAttribute("aria-disabled"), null);
    assert.match(
      calls[calls.length - 1].authorization ?? "",
      /^Bearer /,
      "the server was asked with the new token"
    );
    await page.close();
  });

  it("the Image Creator shows the same sign-in failure and offers at most 2 images", async () => {
    const { browser, page, go } = await open("unreachable", "creator.html", {
      width: 1280,
      height: 900,
    });
    await page.clock.install();
    const signInWindow = browser.context.waitForEvent("page");
    await go();
    await signInWindow;
    await page.clock.fastForward("01:05");
    await page.getByTestId("signin-failed").getByRole("button", { name: "Try again" }).waitFor();
    assert.strictEqual(await generateButton(page, "Create").getAttribute("aria-disabled"), "true");
    expect(await countChoices(page)).toStrictEqual(["1", "2"]);
    assert.strictEqual(
      await page.getByRole("combobox", { name: "Images" }).inputValue(),
      "2",
      "its usual 4 brought within the policy"
    );
    await page.close();
  });

  it("signed in: offers at most 2 images, sends the token with every call, and shows steps without previews", async () => {
    const { page, calls, go } = await open({ tenant: TENANT });
    await go();
    await page.waitForFunction(() => {
      const button = document.querySelector("button[type=submit]");
      return button && button.getAttribute("aria-disabled") !== "true";
    });
    assert.strictEqual(await page.getByTestId("signin-progress").count(), 0);
    expect(await countChoices(page)).toStrictEqual(["1", "2"]);

    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("northern lights over a frozen lake");
    await page.getByRole("combobox", { name: "Images" }).selectOption("2");
    await useSeed(page); // the strict filter withholds about one in eleven of this model's pictures
    const progress = await watchProgress(page);
    await generateButton(page).click();
    const results = page.getByTestId("result");
    await results.nth(1).waitFor();
    const seen = await progress();
    assert.ok(seen.progress && seen.steps.length > 0, `steps were shown: ${seen.steps.join(", ")}`);
    assert.strictEqual(seen.preview, false, "no previews under the strict policy");
    assert.ok(seen.previewsOff, "the pane said previews are off and nothing is wrong");

    // Images come through the API with the token and are shown from object URLs.
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>("[data-testid=result] img")).every(
        (i) => i.complete && i.naturalWidth > 0
      )
    );
    const sources = await results
      .locator("img")
      .evaluateAll((els) => els.map((el) => (el as HTMLImageElement).src));
    assert.ok(
      sources.every((src) => src.startsWith("blob:")),
      sources.join(", ")
    );

    // "Open full size" can't be a plain link with sign-in on: it opens a fetched copy in a new tab.
    const tab = page.context().waitForEvent("page");
    await results
      .first()
      .getByRole("link", { name: /Open full size|northern lights/ })
      .click();
    const opened = await tab;
    await opened.waitForURL(/^blob:/);
    assert.ok(
      await opened.evaluate(() => document.querySelector("img")?.naturalWidth),
      "the full-size image is shown"
    );
    await opened.close();

    const signed = calls.filter((c) => c.path !== "/api/policy");
    const kinds = new Set(
      signed.map((c) =>
        c.path
          .replace(/\/api\/generations\/[^/]+\/events/, "events")
          .replace(/\/api\/images\/.*/, "images")
      )
    );
    assert.ok(
      signed.some((c) => c.path.endsWith(".png")),
      "the full-size PNG was fetched with the token"
    );
    for (const kind of ["/api/models", "/api/generations", "events", "images"])
      assert.ok(kinds.has(kind), `${kind} was called: ${[...kinds].join(", ")}`);
    for (const call of signed)
      assert.match(
        call.authorization ?? "",
        /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/,
        `${call.path} carries the token`
      );
    await page.close();
  });

  it("an account from a tenant the server doesn't allow is told its organisation hasn't allowed it", async () => {
    const { page, go } = await open({ tenant: OTHER_TENANT });
    await go();
    const banner = page.getByTestId("signin-forbidden");
    await banner.waitFor();
    assert.match(await banner.innerText(), /Your organisation hasn't allowed this account/);
    assert.ok(await banner.getByRole("button", { name: "Try again" }).isVisible());
    assert.strictEqual(await generateButton(page).getAttribute("aria-disabled"), "true");
    await screenshot(page, "taskpane-signin-forbidden");
    await page.close();
  });
});
