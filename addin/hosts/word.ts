// Word: the picture replaces the selection (or goes in at the cursor) as an inline picture.
import {
  fitInside,
  stripDataUrl,
  type HostCapabilities,
  type ImageHost,
  type InsertOptions,
} from "./types";

/** Text width of a Letter or A4 page with the default 1" margins, in points. */
const TEXT_WIDTH_PT = 468;
const POINTS_PER_PIXEL = 0.75;

export class WordHost implements ImageHost {
  readonly name = "word";

  private get richApi(): boolean {
    return Office.context.requirements.isSetSupported("WordApi", "1.2");
  }

  capabilities(): HostCapabilities {
    return {
      insertLabel: "Insert",
      altText: this.richApi,
      payload: { format: "jpeg", maxSide: 1024 },
      // Range.inlinePictures needs WordApi 1.2; InlinePicture.getBase64ImageSrc is 1.1.
      pictureFromSelection: this.richApi,
    };
  }

  /** The first inline picture in the selection, as Word stores it (PNG, JPEG, or another format). */
  async selectedPicture(): Promise<string | undefined> {
    return Word.run(async (context) => {
      const pictures = context.document.getSelection().inlinePictures;
      pictures.load("items");
      await context.sync();
      if (pictures.items.length === 0) return undefined;
      const base64 = pictures.items[0].getBase64ImageSrc();
      await context.sync();
      // getBase64ImageSrc() answers a ClientResult, which sync() fills; it has no load() (the rule takes it for a proxy object).
      // eslint-disable-next-line office-addins/load-object-before-read
      return base64.value;
    });
  }

  async insertImage(data: string, options: InsertOptions): Promise<string> {
    const base64 = stripDataUrl(data);
    // Pictures arrive at 96 dpi; anything wider than the text column is shrunk to fit it.
    const size = fitInside(
      options.width,
      options.height,
      Math.min(TEXT_WIDTH_PT, options.width * POINTS_PER_PIXEL),
      Infinity
    );
    if (!this.richApi) {
      await setSelectedImage(base64, { imageWidth: size.width, imageHeight: size.height });
      return "Inserted the image into the document (this version of Word can't add alt text; add it with Edit Alt Text).";
    }
    await Word.run(async (context) => {
      const picture = context.document
        .getSelection()
        .insertInlinePictureFromBase64(base64, "Replace");
      picture.altTextTitle = options.title;
      picture.altTextDescription = options.altText;
      picture.lockAspectRatio = true;
      picture.width = size.width;
      picture.height = size.height;
      await context.sync();
    });
    return "Inserted the image into the document, with alt text.";
  }
}

/** The Common API insertion (ImageCoercion 1.1), which every Office host with images supports. */
export function setSelectedImage(
  base64: string,
  options: Partial<Office.SetSelectedDataOptions>
): Promise<void> {
  return new Promise((resolve, reject) => {
    Office.context.document.setSelectedDataAsync(
      base64,
      { coercionType: Office.CoercionType.Image, ...options },
      (result) => {
        if (result.status === Office.AsyncResultStatus.Succeeded) resolve();
        else reject(new Error(result.error?.message ?? "Office could not insert the image."));
      }
    );
  });
}
