// The Image Creator page: four results in a wide layout, this browser's history, download.
import { expect, it } from "@jest/globals";
import assert from "node:assert";
import { addinBrowserSuite, screenshot, skipBrowser, useSeed } from "./support";
import { describeUnless } from "../helpers/skip";

describeUnless(skipBrowser)("Image Creator", () => {
  const suite = addinBrowserSuite();

  it("creates four images, keeps them in this browser's history, and downloads one", async () => {
    const page = await suite.browser.newPage({ width: 1280, height: 900 });
    await page.goto(`${suite.server.url}/creator.html`);
    await page.getByRole("heading", { name: "Lumen Image Creator" }).waitFor();
    assert.strictEqual(await page.getByRole("combobox", { name: "Images" }).inputValue(), "4");

    await page.getByRole("button", { name: "Alpine sunset" }).click();
    const prompt = await page.getByRole("textbox", { name: "Describe your image" }).inputValue();
    assert.match(prompt, /snow-covered mountains at sunset/);
    await page.getByRole("radio", { name: /Landscape, 4:3/ }).click();
    await useSeed(page);
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByTestId("progress").waitFor();

    const results = page.getByTestId("result");
    await results.nth(3).waitFor();
    assert.strictEqual(await results.count(), 4);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>("main img")).every(
        (i) => i.complete && i.naturalWidth > 0
      )
    );
    await page.getByRole("heading", { name: "Your creations" }).waitFor();
    await screenshot(page, "creator-results");

    const download = page.waitForEvent("download");
    await results.first().getByRole("button", { name: "Download" }).click();
    assert.match((await download).suggestedFilename(), /^snow-covered-mountains-at-sunset.*\.png$/);

    // A second creation, then a reload: both are in the history, newest first, and reopen.
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("a frozen lake under the stars");
    await page.getByRole("combobox", { name: "Images" }).selectOption("2");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "a frozen lake under the stars" }).waitFor();

    await page.reload();
    const history = page
      .getByRole("region", { name: "Your creations" })
      .getByRole("button", { name: /images?$/ });
    await history.first().waitFor();
    expect(
      await history.evaluateAll((els) => els.map((el) => el.getAttribute("aria-label")))
    ).toStrictEqual(["a frozen lake under the stars, 2 images", `${prompt}, 4 images`]);
    await history.nth(1).click();
    await page.getByRole("heading", { name: prompt }).waitFor();
    assert.strictEqual(await results.count(), 4);
    await screenshot(page, "creator-history");

    await page.getByRole("button", { name: "Clear history" }).click();
    assert.strictEqual(await page.getByRole("heading", { name: "Your creations" }).count(), 0);
    assert.strictEqual(
      await page.evaluate(() => localStorage.getItem("lumen.creator.history.v1")),
      null
    );
    await page.close();
  });
});
