// The unknown-words notice in headless Chromium against the real server and shipped model: the
// task pane and the Image Creator say in a sentence which words of an out-of-domain prompt the
// model doesn't know, and say nothing for a landscape.
import { it } from "@jest/globals";
import assert from "node:assert";
import type { Page } from "playwright-core";
import { addinBrowserSuite, modelOptions, screenshot, skipBrowser, useSeed } from "./support";
import { describeUnless } from "../helpers/skip";

const OUT_OF_DOMAIN = "a bowl of ramen on a wooden table";
const IN_DOMAIN = "a misty lake at sunrise";
const SENTENCE = /^Lumen's built-in model paints landscapes and light; it doesn't know: .*\.$/;

describeUnless(skipBrowser || (!modelOptions().model && "the built-in model is not built"))(
  "unknown-words notice in the add-in",
  () => {
    const suite = addinBrowserSuite();

    const notice = (page: Page) => page.getByTestId("notice-unknown_words");

    async function generate(page: Page, prompt: string, button: string): Promise<void> {
      await page.getByRole("textbox", { name: "Describe your image" }).fill(prompt);
      await page.getByRole("combobox", { name: "Images" }).selectOption("1");
      await useSeed(page);
      const accepted = page.waitForResponse(
        (r) => r.url().endsWith("/api/generations") && r.request().method() === "POST"
      );
      await page.getByRole("button", { name: button }).click();
      assert.strictEqual((await accepted).status(), 202);
      // Finished: this prompt's picture, or the banner saying the image filter withheld it.
      await page
        .locator(`[data-testid=result] img[alt="${prompt}"], [data-testid=status-blocked]`)
        .first()
        .waitFor();
    }

    it("task pane: names the words of an out-of-domain prompt in a sentence, and says it with the result", async () => {
      const page = await suite.browser.newPage();
      await page.goto(`${suite.server.url}/taskpane.html`);
      await generate(page, OUT_OF_DOMAIN, "Generate");

      await notice(page).waitFor();
      const text = (await notice(page).innerText()).trim();
      assert.match(text, SENTENCE);
      for (const word of ["ramen", "bowl", "table"]) assert.ok(text.includes(word), text);
      assert.strictEqual(await notice(page).getAttribute("role"), "group", "a Fluent MessageBar");
      await page.getByTestId("live-region").filter({ hasText: text }).waitFor();
      await screenshot(page, "taskpane-unknown-words");

      // The next generation, a landscape, clears it.
      await generate(page, IN_DOMAIN, "Generate");
      assert.strictEqual(await notice(page).count(), 0);
      assert.ok(!(await page.getByTestId("live-region").innerText()).includes("doesn't know"));
      await page.close();
    });

    it("task pane: says nothing for an in-domain prompt", async () => {
      const page = await suite.browser.newPage();
      await page.goto(`${suite.server.url}/taskpane.html`);
      await generate(page, IN_DOMAIN, "Generate");
      assert.strictEqual(await notice(page).count(), 0);
      assert.strictEqual(await page.getByText("doesn't know").count(), 0);
      await page.close();
    });

    it("Image Creator: shows the same sentence", async () => {
      const page = await suite.browser.newPage({ width: 1280, height: 900 });
      await page.goto(`${suite.server.url}/creator.html`);
      await generate(page, OUT_OF_DOMAIN, "Create");
      await notice(page).waitFor();
      assert.match((await notice(page).innerText()).trim(), SENTENCE);
      await page.close();
    });
  }
);
