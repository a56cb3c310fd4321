// The Word adapter against office-addin-mock: the rich API path (WordApi 1.2) and the Common API
// fallback when that requirement set is missing.
import { afterEach, describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import { OfficeMockObject } from "office-addin-mock";
import { WordHost } from "../../addin/hosts/word";
import { installOffice, uninstallOffice, type OfficeStub } from "./hosts-office-stub";

const PNG_1x1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const image = {
  altText: "A misty lake at sunrise",
  title: "A misty lake at sunrise",
  width: 1024,
  height: 576,
  mimeType: "image/jpeg" as const,
};

function wordMock() {
  const inserted: { base64: string; location: string }[] = [];
  const mock = new OfficeMockObject({
    context: {
      document: {
        selection: {
          picture: {
            altTextTitle: "",
            altTextDescription: "",
            lockAspectRatio: false,
            width: 0,
            height: 0,
          },
          insertInlinePictureFromBase64(base64: string, location: string) {
            inserted.push({ base64, location });
            return this.picture;
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
  return { mock, inserted, picture: mock.context.document.selection.picture };
}

describe("WordHost", () => {
  let office: OfficeStub;
  afterEach(uninstallOffice);

  it("inserts an inline picture in place of the selection, with alt text, fitted to the text column", async () => {
    office = installOffice({ sets: { WordApi: "1.4", ImageCoercion: "1.1" } });
    const word = wordMock();
    (globalThis as any).Word = word.mock;

    const message = await new WordHost().insertImage(`data:image/jpeg;base64,${PNG_1x1}`, image);

    expect(word.inserted).toStrictEqual([{ base64: PNG_1x1, location: "Replace" }]);
    assert.strictEqual(word.picture.altTextTitle, image.title);
    assert.strictEqual(word.picture.altTextDescription, image.altText);
    assert.strictEqual(word.picture.width, 468);
    assert.strictEqual(word.picture.height, (468 * 576) / 1024);
    // the Common API is not used when WordApi 1.2 is there
    expect(office.inserted).toStrictEqual([]);
    assert.match(message, /alt text/);
  });

  it("keeps small pictures at their natural size (96 dpi)", async () => {
    installOffice({ sets: { WordApi: "1.2" } });
    const word = wordMock();
    (globalThis as any).Word = word.mock;
    await new WordHost().insertImage(PNG_1x1, { ...image, width: 256, height: 256 });
    assert.strictEqual(word.picture.width, 192);
    assert.strictEqual(word.picture.height, 192);
  });

  it("falls back to setSelectedDataAsync as an image without WordApi 1.2, and says alt text is missing", async () => {
    office = installOffice({ sets: { WordApi: "1.1", ImageCoercion: "1.1" } });
    (globalThis as any).Word = {
      run: () => assert.fail("Word.run must not be called without WordApi 1.2"),
    };

    const message = await new WordHost().insertImage(PNG_1x1, image);

    assert.strictEqual(office.inserted.length, 1);
    assert.strictEqual(office.inserted[0].data, PNG_1x1);
    assert.strictEqual(office.inserted[0].options.coercionType, "image");
    assert.strictEqual(office.inserted[0].options.imageWidth, 468);
    assert.match(message, /can't add alt text/);
    assert.strictEqual(new WordHost().capabilities().altText, false);
  });

  it("reports Office's own error when the fallback insertion fails", async () => {
    installOffice({ sets: {}, failWith: "The selection is read-only." });
    await assert.rejects(new WordHost().insertImage(PNG_1x1, image), /read-only/);
  });

  it("asks for a bounded JPEG, which Office on the web accepts", () => {
    installOffice({ sets: { WordApi: "1.3" } });
    expect(new WordHost().capabilities()).toStrictEqual({
      insertLabel: "Insert",
      altText: true,
      payload: { format: "jpeg", maxSide: 1024 },
      pictureFromSelection: true,
    });
  });
});
