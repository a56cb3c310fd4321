// PowerPoint: the picture goes onto the current slide, as large as fits and centred. There is no
// stable shapes.addImage, so it goes through setSelectedDataAsync; alt text is set afterwards on
// the selected (just inserted) shape where PowerPointApi 1.10 allows it.
import { setSelectedImage } from "./word";
import {
  fitInside,
  stripDataUrl,
  type HostCapabilities,
  type ImageHost,
  type InsertOptions,
} from "./types";

/** A 16:9 slide, PowerPoint's default, in points. */
export const DEFAULT_SLIDE = { width: 960, height: 540 };

export class PowerPointHost implements ImageHost {
  readonly name = "powerpoint";

  private get api110(): boolean {
    return Office.context.requirements.isSetSupported("PowerPointApi", "1.10");
  }

  capabilities(): HostCapabilities {
    return {
      insertLabel: "Insert",
      altText: this.api110,
      payload: { format: "jpeg", maxSide: 1024 },
      pictureFromSelection: this.api110,
    };
  }

  /**
   * The selected shape rendered as a PNG (Shape.getImageAsBase64, PowerPointApi 1.10). The Common
   * API offers no way to read a selected picture: getSelectedDataAsync takes no Image coercion in
   * PowerPoint (only Text and SlideRange), so older versions get the file picker instead.
   */
  async selectedPicture(): Promise<string | undefined> {
    return PowerPoint.run(async (context) => {
      const shapes = context.presentation.getSelectedShapes();
      const count = shapes.getCount();
      await context.sync();
      // getCount() answers a ClientResult, which sync() fills; it has no load() (the rule takes it for a proxy object).
      // eslint-disable-next-line office-addins/load-object-before-read
      if (count.value === 0) return undefined;
      const image = shapes.getItemAt(0).getImageAsBase64({ format: "Png" });
      await context.sync();
      return image.value;
    });
  }

  async insertImage(data: string, options: InsertOptions): Promise<string> {
    if (!Office.context.requirements.isSetSupported("ImageCoercion", "1.1")) {
      throw new Error(
        "This version of PowerPoint can't insert images from add-ins. Use Copy or Download instead."
      );
    }
    const slide = await this.slideSize();
    const size = fitInside(options.width, options.height, slide.width, slide.height);
    await setSelectedImage(stripDataUrl(data), {
      imageLeft: (slide.width - size.width) / 2,
      imageTop: (slide.height - size.height) / 2,
      imageWidth: size.width,
      imageHeight: size.height,
    });
    if (!this.api110)
      return "Inserted the image onto the slide (this version of PowerPoint can't add alt text; add it with View Alt Text).";
    const described = await this.describeSelection(options);
    return described
      ? "Inserted the image onto the slide, with alt text."
      : "Inserted the image onto the slide.";
  }

  /** The presentation's slide size where the API exposes it, else the 16:9 default. */
  async slideSize(): Promise<{ width: number; height: number }> {
    if (!this.api110) return DEFAULT_SLIDE;
    try {
      return await PowerPoint.run(async (context) => {
        const setup = context.presentation.pageSetup;
        setup.load("slideWidth,slideHeight");
        await context.sync();
        return { width: setup.slideWidth, height: setup.slideHeight };
      });
    } catch {
      return DEFAULT_SLIDE;
    }
  }

  private async describeSelection(options: InsertOptions): Promise<boolean> {
    try {
      return await PowerPoint.run(async (context) => {
        const shapes = context.presentation.getSelectedShapes();
        shapes.load("items");
        await context.sync();
        if (shapes.items.length !== 1) return false;
        const picture = shapes.items[0];
        picture.altTextTitle = options.title;
        picture.altTextDescription = options.altText;
        await context.sync();
        return true;
      });
    } catch {
      // The picture is in; missing alt text is reported, not fatal.
      return false;
    }
  }
}
