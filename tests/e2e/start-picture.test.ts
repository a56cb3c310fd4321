// Pictures from pictures in the browser, against the real server and a model that can encode
// pictures (the sd15 fixture has a vae_encoder/): a starting picture chosen, dropped or pasted in
// the Image Creator, "Use as starting point" on a result, the server's refusals in a sentence, and
// the task pane's "Start from the selected picture" in Word through an office.js stand-in.
import { beforeAll, expect, it } from "@jest/globals";
import assert from "node:assert";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { fixturesDir } from "../helpers/fixtures";
import { addinBrowserSuite, screenshot, skipBrowser, useSeed } from "./support";
import { describeUnless } from "../helpers/skip";

/** A 96×64 PNG (3:2, closest to the 4:3 aspect) with a left-to-right gradient. */
async function gradientPng(width = 96, height = 64): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      pixels.set(
        [Math.round((255 * x) / width), 90, 255 - Math.round((255 * y) / height)],
        (y * width + x) * 3
      );
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const dataUrl = (bytes: Buffer, type = "image/png") =>
  `data:${type};base64,${bytes.toString("base64")}`;

/** The body of the next POST /api/generations. */
function nextGeneration(page: Page): Promise<Record<string, any>> {
  return page
    .waitForRequest((r) => r.url().endsWith("/api/generations") && r.method() === "POST")
    .then((r) => JSON.parse(r.postData() ?? "{}"));
}

/**
 * Opens a page of the add-in. The development bundle is about 12 MB, which a loaded machine's
 * Chromium can take longer than the default 30 s to load.
 */
async function open(page: Page, url: string): Promise<Page> {
  await page.goto(url, { timeout: 120_000 });
  return page;
}

async function chooseFile(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer }
): Promise<void> {
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Choose a picture…" }).click();
  await (await chooser).setFiles(file);
}

describeUnless(skipBrowser)("pictures from pictures", () => {
  const suite = addinBrowserSuite({ modelsDir: fixturesDir, model: "sd15" }, 600_000);
  let png: Buffer;
  beforeAll(async () => {
    png = await gradientPng();
  });

  async function openCreator(): Promise<Page> {
    const page = await suite.browser.newPage({ width: 1280, height: 900 });
    await open(page, `${suite.server.url}/creator.html`);
    await page.getByRole("group", { name: "Starting picture", exact: true }).waitFor();
    await page.getByRole("combobox", { name: "Images" }).selectOption("1");
    return page;
  }

  it("Image Creator: a chosen file and its strength travel with the request; a result becomes the next starting point", async () => {
    const page = await openCreator();
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("the same valley in autumn");
    await chooseFile(page, { name: "valley.png", mimeType: "image/png", buffer: png });
    await page.getByRole("img", { name: "Starting picture: valley.png" }).waitFor();
    // The aspect follows the picture (3:2 → 4:3), so it is cropped as little as possible.
    await page.waitForFunction(
      () =>
        document
          .querySelector("[role=radio][aria-checked=true]")
          ?.getAttribute("aria-label")
          ?.includes("4:3") ?? false
    );
    const slider = page.getByRole("slider", { name: "How much to change the picture" });
    assert.strictEqual(await slider.inputValue(), "80");
    // By keyboard, as a slider is used: 5 percentage points a press.
    await slider.focus();
    for (let i = 0; i < 8; i++) await page.keyboard.press("ArrowLeft");
    assert.strictEqual(await slider.inputValue(), "40");
    await useSeed(page);
    const posted = nextGeneration(page);
    await page.getByRole("button", { name: "Create" }).click();
    const body = await posted;
    assert.strictEqual(body.image, dataUrl(png));
    assert.strictEqual(body.strength, 0.4);
    assert.strictEqual(body.aspect, "landscape");

    const result = page.getByTestId("result").first();
    await result.waitFor({ timeout: 120_000 });
    await screenshot(page, "creator-start-picture");
    const id = await page.evaluate(
      () =>
        document
          .querySelector("[data-testid=result] a")
          ?.getAttribute("href")
          ?.match(/\/api\/images\/([^.]+)\.png/)?.[1]
    );
    assert.ok(id, "the result links its image");
    const stored = Buffer.from(
      await (await suite.server.api(`/api/images/${id}.png`)).arrayBuffer()
    );

    await result.getByRole("button", { name: "Use as starting point" }).click();
    await page
      .getByRole("img", { name: "Starting picture: the-same-valley-in-autumn.png" })
      .waitFor();
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("the same valley under snow");
    const again = nextGeneration(page);
    await page.getByRole("button", { name: "Create" }).click();
    const second = await again;
    assert.strictEqual(
      second.image,
      dataUrl(stored),
      "the result's own PNG is the starting picture"
    );
    assert.strictEqual(second.strength, 0.4, "the strength stays as set");
    await page
      .getByRole("heading", { name: "the same valley under snow" })
      .waitFor({ timeout: 120_000 });
    await page.close();
  }, 600_000);

  it("Image Creator: takes a dropped or pasted picture, and Remove goes back to words alone", async () => {
    const page = await openCreator();
    const give = async (how: "drop" | "paste", name: string) =>
      page.evaluate(
        ({ how, name, base64 }) => {
          const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, { type: "image/png" }));
          if (how === "paste")
            document.dispatchEvent(
              new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true })
            );
          else
            document
              .querySelector("[data-testid=picture-drop]")!
              .dispatchEvent(
                new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true })
              );
        },
        { how, name, base64: png.toString("base64") }
      );

    await give("drop", "dropped.png");
    await page.getByRole("img", { name: "Starting picture: dropped.png" }).waitFor();
    await page.getByRole("button", { name: "Remove the starting picture" }).click();
    await page.getByRole("button", { name: "Choose a picture…" }).waitFor();
    assert.strictEqual(await page.getByRole("img", { name: /^Starting picture/ }).count(), 0);

    await give("paste", "pasted.png");
    await page.getByRole("img", { name: "Starting picture: pasted.png" }).waitFor();
    await page.getByRole("button", { name: "Remove the starting picture" }).click();

    // Without a picture the request is words alone.
    await page.getByRole("textbox", { name: "Describe your image" }).fill("a quiet harbour");
    const posted = nextGeneration(page);
    await page.getByRole("button", { name: "Create" }).click();
    const body = await posted;
    expect([body.image, body.strength]).toStrictEqual([undefined, undefined]);
    await page.close();
  }, 600_000);

  it("Image Creator: says in a sentence what is wrong with a picture, and offers it only for models that can encode", async () => {
    const page = await openCreator();
    await page.getByRole("textbox", { name: "Describe your image" }).fill("a lighthouse at dusk");

    // Not a picture at all: said at once, nothing sent.
    await chooseFile(page, {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("hello"),
    });
    await page
      .getByRole("alert")
      .filter({ hasText: "“notes.txt” isn't a picture. Choose a PNG, JPEG or WebP file." })
      .waitFor();

    // A GIF: the server refuses it before anything is queued, and the page says why.
    const gif = await sharp(png).gif().toBuffer();
    await chooseFile(page, { name: "anim.gif", mimeType: "image/gif", buffer: gif });
    await page.getByRole("img", { name: "Starting picture: anim.gif" }).waitFor();
    assert.strictEqual(
      await page.getByRole("alert").filter({ hasText: "notes.txt" }).count(),
      0,
      "a new picture clears the old message"
    );
    const refused = page.waitForResponse(
      (r) => r.url().endsWith("/api/generations") && r.request().method() === "POST"
    );
    await page.getByRole("button", { name: "Create" }).click();
    assert.strictEqual((await refused).status(), 400);
    const banner = page.getByTestId("status-invalid");
    await banner.waitFor();
    assert.match(
      await banner.innerText(),
      /Check the starting picture[\s\S]*gif pictures are not accepted; send a PNG, JPEG or WebP file/
    );
    await screenshot(page, "creator-start-picture-refused");

    // sdxl here has no vae_encoder/: the controls go, and the picture is not sent to it.
    await page.getByRole("button", { name: "Advanced options" }).click();
    await page.getByRole("combobox", { name: "Model" }).selectOption("sdxl");
    await page
      .getByRole("group", { name: "Starting picture", exact: true })
      .waitFor({ state: "detached" });
    await page.close();
  }, 600_000);

  it("task pane in Word: starts from the selected inline picture (Word.run, inlinePictures, getBase64ImageSrc)", async () => {
    const page = await suite.browser.newPage();
    // office.js as Word answers: the host, its requirement sets, and a selection holding one inline
    // picture, whose items and base64 exist only after load() and context.sync(), as in Office.
    const standIn = `(() => {
      const selected = { pictures: [${JSON.stringify(png.toString("base64"))}] };
      window.__word = selected;
      let pending = [];
      const result = (value) => { const r = {}; pending.push(() => { r.value = value; }); return r; };
      window.Office = {
        HostType: { Word: "Word", PowerPoint: "PowerPoint" },
        CoercionType: { Image: "image", Text: "text" },
        AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
        EventType: { OfficeThemeChanged: "officeThemeChanged" },
        onReady: () => Promise.resolve({ host: "Word", platform: "OfficeOnline" }),
        context: {
          requirements: { isSetSupported: (name, version) => name === "WordApi" && Number(version || "1.1") <= 1.3 },
          document: { addHandlerAsync() {} },
        },
      };
      window.Word = {
        run: async (batch) => {
          const context = {
            document: {
              getSelection: () => {
                const inlinePictures = {
                  load(names) {
                    if (names !== "items") throw new Error("load: " + names);
                    const items = selected.pictures.map((b64) => ({ getBase64ImageSrc: () => result(b64) }));
                    pending.push(() => Object.defineProperty(inlinePictures, "items", { value: items }));
                  },
                };
                Object.defineProperty(inlinePictures, "items", {
                  configurable: true,
                  get() { throw new Error("PropertyNotLoaded: inlinePictures.items"); },
                });
                return { inlinePictures };
              },
            },
            sync: async () => { const run = pending; pending = []; run.forEach((settle) => settle()); },
          };
          return batch(context);
        },
      };
    })();`;
    await page.route("**/vendor/office-js/office.js", (route) =>
      route.fulfill({ contentType: "text/javascript", body: standIn })
    );
    await open(page, `${suite.server.url}/taskpane.html`);
    await page.getByRole("textbox", { name: "Describe your image" }).waitFor();
    assert.strictEqual(await page.evaluate(() => document.documentElement.dataset.host), "word");

    // Nothing selected: a sentence says what to do.
    await page.evaluate(() => ((window as any).__word.pictures = []));
    await page.getByRole("button", { name: "Start from the selected picture" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "Select a picture in the document first" })
      .waitFor();

    await page.evaluate((b64) => ((window as any).__word.pictures = [b64]), png.toString("base64"));
    await page.getByRole("button", { name: "Start from the selected picture" }).click();
    await page.getByRole("img", { name: "Starting picture: Picture from the document" }).waitFor();
    await page
      .getByRole("textbox", { name: "Describe your image" })
      .fill("the same valley at night");
    await page.getByRole("combobox", { name: "Images" }).selectOption("1");
    const posted = nextGeneration(page);
    await page.getByRole("button", { name: "Generate" }).click();
    const body = await posted;
    assert.strictEqual(body.image, dataUrl(png));
    assert.strictEqual(body.strength, 0.8);
    await page.getByTestId("result").first().waitFor({ timeout: 120_000 });
    await page.close();
  }, 600_000);

  it("task pane in a browser: a file picker, no selection to start from", async () => {
    const page = await suite.browser.newPage();
    await open(page, `${suite.server.url}/taskpane.html`);
    await page.getByRole("group", { name: "Starting picture", exact: true }).waitFor();
    await page.getByRole("button", { name: "Choose a picture…" }).waitFor();
    assert.strictEqual(
      await page.getByRole("button", { name: "Start from the selected picture" }).count(),
      0
    );
    await page.close();
  }, 600_000);
});
