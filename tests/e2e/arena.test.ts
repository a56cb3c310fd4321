// The arena in Chromium against the real server and model: from the Image Creator to a battle, a
// keyboard-only vote and the reveal, then the leaderboard with its intervals and categories.
import { expect, it } from "@jest/globals";
import assert from "node:assert";
import type { Page } from "playwright-core";
import { addinBrowserSuite, screenshot, skipBrowser } from "./support";
import { describeUnless } from "../helpers/skip";

/**
 * Starts a battle and waits for both pictures. The image filter withholds a few of the embedded
 * model's pictures (docs/SAFETY.md) and a battle's seed is random, so a withheld picture is met
 * the way a person meets it: with Try again.
 */
async function paintBattle(page: Page, prompt: string): Promise<void> {
  await page.getByRole("textbox", { name: "Describe a picture for both sides" }).fill(prompt);
  await page.keyboard.press("Control+Enter");
  for (let attempt = 0; attempt < 4; attempt++) {
    const outcome = await Promise.race([
      page
        .getByTestId("battle")
        .waitFor({ timeout: 120_000 })
        .then(() => "battle" as const),
      page
        .getByTestId("arena-blocked")
        .waitFor({ timeout: 120_000 })
        .then(() => "blocked" as const),
    ]);
    if (outcome === "battle") {
      await page.waitForFunction(() => {
        const pictures = Array.from(
          document.querySelectorAll<HTMLImageElement>("[data-testid=battle] img")
        );
        return pictures.length === 2 && pictures.every((i) => i.complete && i.naturalWidth > 0);
      });
      return;
    }
    await page.getByRole("button", { name: "Try again" }).click();
  }
  throw new Error("four battles in a row had a withheld picture");
}

describeUnless(skipBrowser)("arena", () => {
  // One model: the admin declares two settings of it to compare.
  const suite = addinBrowserSuite(
    {
      arenaContenders: [
        { name: "quick", steps: 3 },
        { name: "standard", steps: 8 },
      ],
    },
    300_000
  );

  it("battles from the Image Creator's link, votes with the keyboard alone, and reveals the contenders", async () => {
    const page = await suite.browser.newPage({ width: 1280, height: 900 });
    await page.goto(`${suite.server.url}/creator.html`);
    await page.getByRole("link", { name: "Arena" }).click();
    await page.getByRole("heading", { name: "Lumen Arena" }).waitFor();

    // An empty prompt is refused on the page, with the reason beside the field.
    await page.getByRole("button", { name: "Start battle" }).click();
    await page.getByText("Describe a picture for both sides to paint.").waitFor();

    await paintBattle(page, "a misty lake at sunrise");
    const battle = page.getByTestId("battle");
    assert.match(
      (await page.getByTestId("live-region").textContent()) ?? "",
      /Which one is better/
    );
    assert.equal(
      await battle.getByText(/^by /).count(),
      0,
      "no contender is named before the vote"
    );
    expect(
      await battle.locator("img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt")))
    ).toStrictEqual([
      "Picture A of “a misty lake at sunrise”",
      "Picture B of “a misty lake at sunrise”",
    ]);
    await screenshot(page, "arena-battle");

    // Focus is on the question; the vote buttons follow it in tab order.
    assert.equal(await page.evaluate(() => document.activeElement?.id), "battle-question");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "A is better");
    await page.keyboard.press("Enter");
    await page.getByTestId("reveal").waitFor();
    const a = (await page.getByTestId("contender-A").textContent())!.replace(/^by /, "");
    const b = (await page.getByTestId("contender-B").textContent())!.replace(/^by /, "");
    expect([a, b].sort()).toStrictEqual(["quick", "standard"]);
    assert.equal(
      await page.getByTestId("live-region").textContent(),
      `Vote counted: A is better. Picture A was ${a}; picture B was ${b}.`
    );
    assert.equal(await page.getByTestId("picture-A").getByText("Your pick").count(), 1);
    await screenshot(page, "arena-revealed");

    // The leaderboard ranks the picked contender first, with an interval around its score.
    await page.getByRole("link", { name: "See the leaderboard" }).click();
    await page.getByRole("heading", { name: "Arena leaderboard" }).waitFor();
    const rows = page.getByTestId("leaderboard").locator("tbody tr");
    await rows.nth(1).waitFor();
    const first = await rows.nth(0).locator("td").allTextContents();
    const second = await rows.nth(1).locator("td").allTextContents();
    // One vote each: both are marked as having few votes.
    assert.equal(first[1], `${a}few votes`);
    assert.equal(second[1], `${b}few votes`);
    const [score, lo, hi] = [Number(first[2]), ...first[3].split("–").map(Number)];
    assert.ok(score > 1000 && Number(second[2]) < 1000, `${first} / ${second}`);
    assert.ok(lo <= score && score <= hi, first[3]);
    expect(first.slice(5)).toStrictEqual(["1", "1", "0", "0"]);
    assert.match(
      (await page.getByTestId("live-region").textContent()) ?? "",
      new RegExp(`Leaderboard of 1 vote: 1\\. ${a}`)
    );
    await screenshot(page, "arena-leaderboard");

    // The lake is a landscape prompt; no one has voted on prompts of people.
    const prompts = page.getByRole("combobox", { name: "Prompts" });
    await prompts.selectOption("landscape");
    await page
      .getByTestId("leaderboard-updated")
      .getByText(/^1 vote ·/)
      .waitFor();
    await prompts.selectOption("people");
    await page.getByTestId("leaderboard-empty").waitFor();
    await page.close();
  }, 300_000);
});

describeUnless(skipBrowser)("arena switched off", () => {
  const suite = addinBrowserSuite({ arena: false });

  it("says the arena isn't available, and the Image Creator does not link to it", async () => {
    const page = await suite.browser.newPage({ width: 1280, height: 900 });
    await page.goto(`${suite.server.url}/creator.html`);
    await page.getByRole("heading", { name: "Lumen Image Creator" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Arena" }).count(), 0);
    await page.goto(`${suite.server.url}/arena.html`);
    await page.getByTestId("arena-off").waitFor();
    assert.equal(await page.getByRole("button", { name: "Start battle" }).count(), 0);
    await page.close();
  });
});
