// /api/images/:id — stored PNGs, converted on request to JPEG or WebP, or shrunk to a thumbnail.
import { Router, type Request } from "express";
import { LRUCache } from "lru-cache";
import { transcode, type ContentCredentials } from "../../provenance";
import type { Owner, Store } from "../../store";
import { imageFormats, type ImageFormat } from "../../../contract";
import { ApiError } from "../errors";

type Format = ImageFormat;
const EXTENSIONS: Record<string, Format> = { png: "png", jpg: "jpeg", jpeg: "jpeg", webp: "webp" };
const MIME: Record<Format, string> = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" };

/** Converted and resized copies kept in memory: signing one takes tens of milliseconds, and pages ask for the same ones again. */
const COPY_CACHE_BYTES = 64 * 1024 * 1024;

/** With sign-in on, only the images of the caller's own generations exist for it (others: 404). */
export function imageRoutes(
  store: Store,
  ownerOf: (req: Request) => Owner | undefined,
  contentCredentials?: ContentCredentials
): Router {
  const router = Router();
  const copies = new LRUCache<string, Buffer>({
    maxSize: COPY_CACHE_BYTES,
    sizeCalculation: (b) => b.byteLength,
  });
  router.get("/api/images/:file", async (req, res) => {
    const match = /^([\w-]+?)(?:\.(png|jpe?g|webp))?$/i.exec(req.params.file);
    if (!match) throw new ApiError("not_found", `no image "${req.params.file}"`);
    const [, id, ext] = match;
    const image = await store.getImage(id, ownerOf(req));
    if (!image) throw new ApiError("not_found", `no image with id "${id}"`);

    let format: Format = "png";
    if (ext) format = EXTENSIONS[ext.toLowerCase()];
    else if (typeof req.query.format === "string") {
      if (!(imageFormats as readonly string[]).includes(req.query.format)) {
        throw new ApiError("invalid_request", `format must be one of ${imageFormats.join(", ")}`, {
          param: "format",
        });
      }
      format = req.query.format as Format;
    } else {
      format = (req.accepts(["image/png", "image/webp", "image/jpeg"]) || "image/png").split(
        "/"
      )[1] as Format;
    }
    let size: number | undefined;
    if (req.query.size !== undefined) {
      size = Number(req.query.size);
      if (!Number.isInteger(size) || size < 16 || size > 2048) {
        throw new ApiError(
          "invalid_request",
          "size must be an integer from 16 to 2048 (longest side in pixels)",
          { param: "size" }
        );
      }
    }
    // A row without its blob: the bytes were lost outside Lumen (a volume not mounted, a file removed).
    const png = async () => {
      const bytes = await store.blobs.get(image.sha256);
      if (!bytes)
        throw new Error(`image ${id}: no blob ${image.sha256} in ${store.blobs.location}`);
      return bytes;
    };
    let body: Buffer;
    if (format !== "png" || (size && size < Math.max(image.width, image.height))) {
      const scale = size ? Math.min(1, size / Math.max(image.width, image.height)) : 1;
      const width = Math.max(1, Math.round(image.width * scale));
      const height = Math.max(1, Math.round(image.height * scale));
      const key = `${image.sha256}:${format}:${width}x${height}`;
      body =
        copies.get(key) ??
        (await transcode(await png(), {
          format,
          width,
          height,
          contentCredentials,
          title: `${id}.${format === "jpeg" ? "jpg" : format}`,
          originalTitle: `${id}.png`,
        }));
      copies.set(key, body);
    } else {
      body = await png();
    }
    res.setHeader("Content-Type", MIME[format]);
    res.setHeader("Cache-Control", "private, max-age=31536000, immutable");
    res.setHeader("Vary", "Accept");
    res.send(body);
  });
  return router;
}
