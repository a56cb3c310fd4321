// Outside Office (the Image Creator page, or the task pane opened in a browser) "insert" means
// save: the image is downloaded and, where the browser allows it, copied to the clipboard.
import { stripDataUrl, type HostCapabilities, type ImageHost, type InsertOptions } from "./types";

export function base64ToBlob(data: string, mimeType: string): Blob {
  const bytes = Uint8Array.from(atob(stripDataUrl(data)), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: mimeType });
}

/** A file name from the prompt: "a-misty-lake-at-sunrise.png". */
export function fileNameFor(title: string, mimeType: string): string {
  const stem = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/[\s_-]+/g, "-")
    .slice(0, 60)
    .replace(/-$/, "");
  return `${stem || "lumen-image"}.${mimeType === "image/jpeg" ? "jpg" : "png"}`;
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke later: the download reads the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Copies a PNG to the clipboard; false where the browser or the Office web view refuses. */
export async function copyImageBlob(blob: Blob): Promise<boolean> {
  if (!navigator.clipboard?.write || typeof ClipboardItem === "undefined") return false;
  try {
    await navigator.clipboard.write([new ClipboardItem({ [blob.type]: blob })]);
    return true;
  } catch {
    return false;
  }
}

export class BrowserHost implements ImageHost {
  readonly name = "browser";

  capabilities(): HostCapabilities {
    // Clipboards take PNG only, so the browser gets the lossless original.
    return {
      insertLabel: "Save",
      altText: false,
      payload: { format: "png", maxSide: 2048 },
      pictureFromSelection: false,
    };
  }

  async insertImage(data: string, options: InsertOptions): Promise<string> {
    const blob = base64ToBlob(data, options.mimeType);
    const fileName = fileNameFor(options.title, options.mimeType);
    downloadBlob(blob, fileName);
    const copied = await copyImageBlob(blob);
    return copied
      ? `Downloaded ${fileName} and copied the image to the clipboard.`
      : `Downloaded ${fileName}.`;
  }
}
