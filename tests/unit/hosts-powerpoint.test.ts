// The PowerPoint adapter against office-addin-mock: the picture is centred and fitted to the
// slide in points, alt text is set where PowerPointApi 1.10 allows, and missing sets degrade clearly.
import { afterEach, describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import { OfficeMockObject } from "office-addin-mock";
import { DEFAULT_SLIDE, PowerPointHost } from "../../addin/hosts/powerpoint";
import { installOffice, uninstallOffice } from "./hosts-office-stub";

const B64 =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=";
const wide = {
  altText: "Snowy peaks under the northern lights",
  title: "Snowy peaks",
  width: 1024,
  height: 576,
  mimeType: "image/jpeg" as const,
};

function powerPointMock(slide: { slideWidth: number; slideHeight: number }, selectedCount = 1) {
  const shapes = Array.from({ length: selectedCount }, () => ({
    altTextTitle: "",
    altTextDescription: "",
  }));
  const mock = new OfficeMockObject({
    context: {
      presentation: {
        pageSetup: slide,
        selected: { items: shapes },
        getSelectedShapes() {
          return this.selected;
        },
      },
    },
    run: async function (callback: (context: unknown) => Promise<unknown>) {
      return callback(this.context);
    },
  }) as any;
  return { mock, shapes };
}

describe("PowerPointHost", () => {
  afterEach(uninstallOffice);

  it("fits the picture to the slide size the presentation reports, centred, and sets alt text", async () => {
    const office = installOffice({ sets: { PowerPointApi: "1.10", ImageCoercion: "1.1" } });
    const pp = powerPointMock({ slideWidth: 720, slideHeight: 540 }); // a 4:3 deck
    (globalThis as any).PowerPoint = pp.mock;

    const message = await new PowerPointHost().insertImage(`data:image/jpeg;base64,${B64}`, {
      ...wide,
      width: 512,
      height: 512,
    });

    assert.strictEqual(office.inserted.length, 1);
    const { data, options } = office.inserted[0];
    assert.strictEqual(data, B64, "the data: prefix is stripped");
    expect(options).toStrictEqual({
      coercionType: "image",
      imageLeft: 90,
      imageTop: 0,
      imageWidth: 540,
      imageHeight: 540,
    });
    assert.strictEqual(pp.shapes[0].altTextTitle, "Snowy peaks");
    assert.strictEqual(pp.shapes[0].altTextDescription, wide.altText);
    assert.match(message, /with alt text/);
  });

  it("uses the 16:9 default slide without PowerPointApi 1.10, and inserts without alt text", async () => {
    const office = installOffice({ sets: { PowerPointApi: "1.5", ImageCoercion: "1.1" } });
    (globalThis as any).PowerPoint = {
      run: () => assert.fail("PowerPoint.run needs PowerPointApi 1.10 here"),
    };

    const message = await new PowerPointHost().insertImage(B64, wide);

    expect(office.inserted[0].options).toStrictEqual({
      coercionType: "image",
      imageLeft: 0,
      imageTop: 0,
      imageWidth: DEFAULT_SLIDE.width,
      imageHeight: DEFAULT_SLIDE.height,
    });
    assert.match(message, /can't add alt text/);
    assert.strictEqual(new PowerPointHost().capabilities().altText, false);
  });

  it("letterboxes a portrait picture on a wide slide", async () => {
    const office = installOffice({ sets: { ImageCoercion: "1.1" } });
    await new PowerPointHost().insertImage(B64, { ...wide, width: 384, height: 512 });
    const { imageLeft, imageTop, imageWidth, imageHeight } = office.inserted[0].options;
    expect([imageLeft, imageTop, imageWidth, imageHeight]).toStrictEqual([277.5, 0, 405, 540]);
  });

  it("does not guess which shape to describe when the selection is not just the new picture", async () => {
    installOffice({ sets: { PowerPointApi: "1.10", ImageCoercion: "1.1" } });
    const pp = powerPointMock({ slideWidth: 960, slideHeight: 540 }, 2);
    (globalThis as any).PowerPoint = pp.mock;
    const message = await new PowerPointHost().insertImage(B64, wide);
    expect(pp.shapes.map((s) => s.altTextDescription)).toStrictEqual(["", ""]);
    assert.strictEqual(message, "Inserted the image onto the slide.");
  });

  it("refuses clearly where image insertion (ImageCoercion 1.1) is missing, inserting nothing", async () => {
    const office = installOffice({ sets: { PowerPointApi: "1.4" } });
    await assert.rejects(
      new PowerPointHost().insertImage(B64, wide),
      /can't insert images.*Copy or Download/
    );
    expect(office.inserted).toStrictEqual([]);
  });

  it("falls back to the default slide when reading the page setup fails", async () => {
    installOffice({ sets: { PowerPointApi: "1.10", ImageCoercion: "1.1" } });
    (globalThis as any).PowerPoint = {
      run: async () => Promise.reject(new Error("GeneralException")),
    };
    expect(await new PowerPointHost().slideSize()).toStrictEqual(DEFAULT_SLIDE);
  });
});
