// Starting pictures as clients send them: a data: URL in JSON, or a file in a multipart form.
// Size and type are checked before any pixel is decoded; the pixels then go to the image check
// and, as the original file's bytes, into the job.
import { decodePicture, RequestError, type PictureFormat, type RgbImage } from "../engine";
import { ApiError } from "./errors";

export interface Picture {
  /** The file as sent: it travels with the job and becomes the images' C2PA ingredient. */
  bytes: Buffer;
  format: PictureFormat;
  image: RgbImage;
}

const DATA_URL = /^data:(image\/[\w.+-]+)?(;[\w-]+=[\w.-]+)*;base64,([A-Za-z0-9+/=\s]*)$/;

const megabytes = (bytes: number) =>
  `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MB`;

/** The picture of a file's bytes, or a clear 400/413 naming `param`. */
export async function readPicture(
  bytes: Buffer,
  maxBytes: number,
  param = "image"
): Promise<Picture> {
  if (bytes.length === 0)
    throw new ApiError("invalid_request", `${param}: the file is empty`, { param });
  if (bytes.length > maxBytes) {
    throw new ApiError(
      "payload_too_large",
      `${param}: the picture is ${megabytes(bytes.length)}; at most ${megabytes(maxBytes)}`,
      { param }
    );
  }
  try {
    const { image, format } = await decodePicture(bytes);
    return { bytes, format, image };
  } catch (e) {
    if (e instanceof RequestError)
      throw new ApiError("invalid_request", e.message.replace(/^image:/, `${param}:`), { param });
    throw e;
  }
}

/** The picture of a `data:image/…;base64,` URL. */
export async function pictureFromDataUrl(url: string, maxBytes: number): Promise<Picture> {
  const match = DATA_URL.exec(url);
  if (!match)
    throw new ApiError(
      "invalid_request",
      "image must be a base64 data: URL (data:image/png;base64,…)",
      { param: "image" }
    );
  // The declared type is not trusted: the bytes say what the file is.
  return readPicture(Buffer.from(match[3], "base64"), maxBytes);
}
