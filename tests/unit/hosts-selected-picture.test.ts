// "Start from the selected picture": Word's selected inline picture (Range.inlinePictures,
// InlinePicture.getBase64ImageSrc) and PowerPoint's selected shape (Shape.getImageAsBase64) against
// office-addin-mock, whose properties read as errors until loaded and synced, as Office's do. A
// ClientResult's value likewise exists only after context.sync().
import { afterEach, describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import { OfficeMockObject } from "office-addin-mock";
import { BrowserHost } from "../../addin/hosts/browser";
import { PowerPointHost } from "../../addin/hosts/powerpoint";
import { pictureDataUrl, sniffImageType } from "../../addin/hosts/types";
import { WordHost } from "../../addin/hosts/word";
import { installOffice, uninstallOffice } from "./hosts-office-stub";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const JPEG =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=";

/** A ClientResult whose value appears at the next context.sync(), as Office's does. */
function clientResults() {
  const pending: (() => void)[] = [];
  return {
    result<T>(value: T) {
      const result: { value?: T } = {};
      pending.push(() => (result.value = value));
      return result;
    },
    /** Wraps the mock context's sync so that it also settles the results asked for before it. */
    wrap(context: { sync(): Promise<void> }) {
      const sync = context.sync.bind(context);
      context.sync = async () => {
        await sync();
        pending.splice(0).forEach((settle) => settle());
      };
    },
  };
}

function wordWithSelection(pictures: string[]) {
  const results = clientResults();
  const mock = new OfficeMockObject({
    context: {
      document: {
        selection: {
          inlinePictures: {
            items: pictures.map((base64) => ({ getBase64ImageSrc: () => results.result(base64) })),
          },
        },
        getSelection() {
          return this.selection;
        },
      },
    },
    run: async function (callback: (context: unknown) => Promise<unknown>) {
      return callback(this.context);
    },
  }) as any;
  results.wrap(mock.context);
  return mock;
}

function powerPointWithSelection(shapes: string[]) {
  const results = clientResults();
  const asked: unknown[] = [];
  const mock = new OfficeMockObject({
    context: {
      presentation: {
        selected: {
          getCount: () => results.result(shapes.length),
          getItemAt: (index: number) => ({
            getImageAsBase64(options: unknown) {
              asked.push(options);
              return results.result(shapes[index]);
            },
          }),
        },
        getSelectedShapes() {
          return this.selected;
        },
      },
    },
    run: async function (callback: (context: unknown) => Promise<unknown>) {
      return callback(this.context);
    },
  }) as any;
  results.wrap(mock.context);
  return { mock, asked };
}

describe("the selected picture", () => {
  afterEach(uninstallOffice);

  it("Word: hands over the first inline picture of the selection, where WordApi 1.2 allows it", async () => {
    installOffice({ sets: { WordApi: "1.2" } });
    (globalThis as any).Word = wordWithSelection([JPEG, PNG]);
    const word = new WordHost();
    assert.strictEqual(word.capabilities().pictureFromSelection, true);
    assert.strictEqual(await word.selectedPicture(), JPEG);
    assert.strictEqual(pictureDataUrl(JPEG), `data:image/jpeg;base64,${JPEG}`);
  });

  it("Word: undefined when the selection holds no picture", async () => {
    installOffice({ sets: { WordApi: "1.3" } });
    (globalThis as any).Word = wordWithSelection([]);
    assert.strictEqual(await new WordHost().selectedPicture(), undefined);
  });

  it("Word: not offered without WordApi 1.2 (Range.inlinePictures)", () => {
    installOffice({ sets: { WordApi: "1.1" } });
    assert.strictEqual(new WordHost().capabilities().pictureFromSelection, false);
  });

  it("PowerPoint: renders the selected shape as a PNG, where PowerPointApi 1.10 allows it", async () => {
    installOffice({ sets: { PowerPointApi: "1.10", ImageCoercion: "1.1" } });
    const pp = powerPointWithSelection([PNG]);
    (globalThis as any).PowerPoint = pp.mock;
    const host = new PowerPointHost();
    assert.strictEqual(host.capabilities().pictureFromSelection, true);
    assert.strictEqual(await host.selectedPicture(), PNG);
    expect(pp.asked).toStrictEqual([{ format: "Png" }]);
  });

  it("PowerPoint: undefined with nothing selected; a file picker instead before PowerPointApi 1.10", async () => {
    installOffice({ sets: { PowerPointApi: "1.10" } });
    (globalThis as any).PowerPoint = powerPointWithSelection([]).mock;
    assert.strictEqual(await new PowerPointHost().selectedPicture(), undefined);
    installOffice({ sets: { PowerPointApi: "1.9", ImageCoercion: "1.1" } });
    assert.strictEqual(new PowerPointHost().capabilities().pictureFromSelection, false);
    assert.strictEqual(new BrowserHost().capabilities().pictureFromSelection, false);
  });

  it("types a picture's data: URL by its bytes, and leaves the type out for what it doesn't know", () => {
    assert.strictEqual(sniffImageType(PNG), "image/png");
    assert.strictEqual(sniffImageType(`data:image/png;base64,${JPEG}`), "image/jpeg");
    assert.strictEqual(
      sniffImageType(Buffer.from("RIFF\x10\x00\x00\x00WEBPVP8 ", "latin1").toString("base64")),
      "image/webp"
    );
    assert.strictEqual(
      sniffImageType(Buffer.from("RIFF\x10\x00\x00\x00WAVEfmt ", "latin1").toString("base64")),
      undefined
    );
    assert.strictEqual(sniffImageType(Buffer.from("GIF89a").toString("base64")), "image/gif");
    assert.strictEqual(pictureDataUrl("AAECAw=="), "data:;base64,AAECAw==");
  });
});
