// <img> for an image stored on the server (see useImageSource). Until it arrives the element keeps
// its size and alt text, so layouts don't jump and screen readers read the same thing.
import { useRef, type ImgHTMLAttributes } from "react";
import type { ImageFormat } from "../../api/client";
import { useImageSource } from "../useImageSource";

export interface ServerImageProps extends Omit<
  ImgHTMLAttributes<HTMLImageElement>,
  "src" | "loading"
> {
  imageId: string;
  format?: ImageFormat;
  size?: number;
  /** Fetch only when scrolled near. */
  lazy?: boolean;
}

export function ServerImage({ imageId, format, size, lazy, style, ...img }: ServerImageProps) {
  const ref = useRef<HTMLImageElement>(null);
  const { src, failed } = useImageSource(imageId, {
    format,
    size,
    lazyRef: lazy ? ref : undefined,
  });
  // While it loads the alt text stays for screen readers but is not painted over the placeholder.
  const loadingStyle = !src && !failed ? { color: "transparent" } : undefined;
  return (
    <img
      ref={ref}
      {...img}
      style={{ ...style, ...loadingStyle }}
      src={src}
      data-state={src ? "loaded" : failed ? "failed" : "loading"}
    />
  );
}
