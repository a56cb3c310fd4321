// Renders the README's screenshots (docs/images/) from the real pages, server and model:
// npm run screenshots. Uses the embedded model when it has been built (models/lumen-landscapes).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, modelOptions, root, startAddinServer } from "../tests/e2e/support";

const out = join(root, "docs", "images");
const PROMPT = "a misty lake at sunrise with pine-covered hills reflecting in still water";

mkdirSync(out, { recursive: true });
const server = await startAddinServer();
const browser = await launchBrowser(server.url);
try {
  const pane = await browser.newPage({ width: 380, height: 700 });
  await pane.goto(`${server.url}/taskpane.html`);
  await pane.getByRole("textbox", { name: "Describe your image" }).fill(PROMPT);
  await pane.getByRole("radio", { name: /Wide, 16:9/ }).click();
  await pane.getByRole("combobox", { name: "Style" }).selectOption("photo");
  await pane.getByRole("button", { name: "Generate" }).click();
  await pane.getByTestId("result").nth(1).waitFor({ timeout: 120_000 });
  await pane.waitForFunction(() =>
    Array.from(document.querySelectorAll<HTMLImageElement>("main img")).every(
      (i) => i.complete && i.naturalWidth > 0
    )
  );
  await pane.evaluate(() => window.scrollTo(0, 0));
  await pane.screenshot({ path: join(out, "taskpane.png"), fullPage: true });

  const creator = await browser.newPage({ width: 1280, height: 900 });
  await creator.goto(`${server.url}/creator.html`);
  await creator.getByRole("button", { name: "Moonlit lake" }).click();
  await creator.getByRole("radio", { name: /Landscape, 4:3/ }).click();
  await creator.getByRole("button", { name: "Create" }).click();
  await creator.getByTestId("result").nth(3).waitFor({ timeout: 120_000 });
  await creator.waitForFunction(() =>
    Array.from(document.querySelectorAll<HTMLImageElement>("main img")).every(
      (i) => i.complete && i.naturalWidth > 0
    )
  );
  await creator.screenshot({ path: join(out, "creator.png"), fullPage: true });
  console.log(
    `docs/images/taskpane.png, docs/images/creator.png (model: ${modelOptions().model ?? "the random-weight test fixture"})`
  );
} finally {
  await browser.close();
  await server.stop();
}
