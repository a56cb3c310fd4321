// /api/images/:id — stored PNGs, converted on request to JPEG or WebP, or shrunk to a thumbnail.
import { Router, type Request } from "express";
import { readFile } from "node:fs/promises";
import { transcode } from "../../provenance";
import type { Owner, Store } from "../../store";
import { imageFormats } from "../contract";
import { ApiError } from "../errors";

type Format = (typeof imageFormats)[number];
const EXTENSIONS: Record<string, Format> = { png: "png", jpg: "jpeg", jpeg: "jpeg", webp: "webp" };
const MIME: Record<Format, string> = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" };

/** With sign-in on, only the images of the caller's own generations exist for it (others: 404). */
export function imageRoutes(store: Store, ownerOf: (req: Request) => Owner | undefined): Router {
  const router = Router();
  router.get("/api/images/:file", async (req, res) => {
    const match = /^([\w-]+?)(?:\.(png|jpe?g|webp))?$/i.exec(req.params.file);
    if (!match) throw new ApiError("not_found", `no image "${req.params.file}"`);
    const [, id, ext] = match;
    const image = store.getImage(id, ownerOf(req));
    if (!image) throw new ApiError("not_found", `no image with id "${id}"`);

    let format: Format = "png";
    if (ext) format = EXTENSIONS[ext.toLowerCase()];
    else if (typeof req.query.format === "string") {
      if (!(imageFormats as readonly string[]).includes(req.query.format)) {
        throw new ApiError("invalid_request", `format must be one of ${imageFormats.join(", ")}`, { param: "format" });
      }
      format = req.query.format as Format;
    } else {
      format = (req.accepts(["image/png", "image/webp", "image/jpeg"]) || "image/png").split("/")[1] as Format;
    }
    let size: number | undefined;
    if (req.query.size !== undefined) {
      size = Number(req.query.size);
      if (!Number.isInteger(size) || size < 16 || size > 2048) {
        throw new ApiError("invalid_request", "size must be an integer from 16 to 2048 (longest side in pixels)", { param: "size" });
      }
    }
    const png = await readFile(image.path);
    let body: Buffer = png;
    if (format !== "png" || (size && size < Math.max(image.width, image.height))) {
      const scale = size ? Math.min(1, size / Math.max(image.width, image.height)) : 1;
      body = await transcode(png, {
        format,
        width: Math.max(1, Math.round(image.width * scale)),
        height: Math.max(1, Math.round(image.height * scale)),
      });
    }
    res.setHeader("Content-Type", MIME[format]);
    res.setHeader("Cache-Control", "private, max-age=31536000, immutable");
    res.setHeader("Vary", "Accept");
    res.send(body);
  });
  return router;
}
