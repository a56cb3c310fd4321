// Reading a starting picture from wherever a person gives it: a chosen, dropped or pasted file,
// the document's selection, or a result on the server.
import { pictureDataUrl } from "../hosts/types";
import type { StartPicture } from "./options";

/** A problem with a picture the page can explain before anything is sent. */
export class PictureError extends Error {
  override name = "PictureError";
}

function readAsDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsDataURL(blob);
  });
}

/**
 * A picture file as a data: URL. Only an obviously non-image file is refused here; what kind of
 * picture and how large is the server's to judge (its limits and image check), and it says why.
 */
export async function pictureFromFile(file: File): Promise<StartPicture> {
  if (!file.type.startsWith("image/"))
    throw new PictureError(`“${file.name}” isn't a picture. Choose a PNG, JPEG or WebP file.`);
  try {
    return { dataUrl: await readAsDataUrl(file), name: file.name };
  } catch (error) {
    throw new PictureError(`Couldn't read “${file.name}”: ${(error as Error).message}.`);
  }
}

/** A picture fetched from the server (a result) or handed over by the host. */
export async function pictureFromBlob(blob: Blob, name: string): Promise<StartPicture> {
  return { dataUrl: await readAsDataUrl(blob), name };
}

/** The host's base64 of the selected picture, typed by its bytes. */
export function pictureFromBase64(base64: string, name: string): StartPicture {
  return { dataUrl: pictureDataUrl(base64), name };
}

/** The picture's size in pixels; undefined where the browser cannot decode it (the server will say why). */
export function pictureSize(
  dataUrl: string
): Promise<{ width: number; height: number } | undefined> {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () =>
      resolve(
        image.naturalWidth && image.naturalHeight
          ? { width: image.naturalWidth, height: image.naturalHeight }
          : undefined
      );
    image.onerror = () => resolve(undefined);
    image.src = dataUrl;
  });
}
