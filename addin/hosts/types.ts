// One interface for every place an image can go: a Word document, a PowerPoint slide, or (outside
// Office) the browser's downloads and clipboard. The task pane only ever talks to an ImageHost.

export type HostName = "word" | "powerpoint" | "browser";

export interface InsertOptions {
  /** Read by screen readers: the prompt the image was made from. */
  altText: string;
  /** A short title for the alt text (Word) or the downloaded file name (browser). */
  title: string;
  /** Pixel size of the image in `base64`, to size it in the document. */
  width: number;
  height: number;
  mimeType: "image/png" | "image/jpeg";
}

export interface HostCapabilities {
  /** The verb on the Insert button ("Insert", "Save"). */
  insertLabel: string;
  /** Whether alt text reaches the document (it needs WordApi 1.1 / PowerPointApi 1.10). */
  altText: boolean;
  /** What to fetch for insertion: Office on the web drops large payloads silently. */
  payload: { format: "png" | "jpeg"; maxSide: number };
  /** Whether selectedPicture() can hand over the picture selected in the document. */
  pictureFromSelection: boolean;
}

export interface ImageHost {
  readonly name: HostName;
  capabilities(): HostCapabilities;
  /** Inserts the image; resolves with a sentence for the status line and screen readers. */
  insertImage(base64: string, options: InsertOptions): Promise<string>;
  /**
   * The picture selected in the document, as base64 (no data: prefix); undefined when no picture
   * is selected. Only where capabilities().pictureFromSelection.
   */
  selectedPicture?(): Promise<string | undefined>;
}

/** Office wants bare base64; data URLs and stray whitespace are removed. */
export function stripDataUrl(data: string): string {
  return data.replace(/^data:[^,]*,/, "").replace(/\s+/g, "");
}

/** Largest size with the image's aspect ratio that fits in the box. */
export function fitInside(
  width: number,
  height: number,
  boxWidth: number,
  boxHeight: number
): { width: number; height: number } {
  const scale = Math.min(boxWidth / width, boxHeight / height);
  return { width: width * scale, height: height * scale };
}

/** The image type of base64 file data, from its first bytes; undefined for anything else. */
export function sniffImageType(
  base64: string
): "image/png" | "image/jpeg" | "image/webp" | "image/gif" | "image/bmp" | undefined {
  const head = stripDataUrl(base64).slice(0, 16);
  if (head.startsWith("iVBORw0KGgo")) return "image/png";
  if (head.startsWith("/9j/")) return "image/jpeg";
  if (head.startsWith("R0lGOD")) return "image/gif";
  if (head.startsWith("Qk")) return "image/bmp";
  // RIFF????WEBP
  if (head.startsWith("UklGR") && atob(head.slice(0, 16)).slice(8, 12) === "WEBP")
    return "image/webp";
  return undefined;
}

/** A data: URL of base64 picture data, typed by its bytes (the server checks them again). */
export function pictureDataUrl(base64: string): string {
  const data = stripDataUrl(base64);
  return `data:${sniffImageType(data) ?? ""};base64,${data}`;
}
