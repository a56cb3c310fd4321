// <img> for an image stored on the server (see useImageSource). Until it arrives the element keeps
// its size and alt text, so layouts don't jump and screen readers read the same thing.
import { useRef, type ImgHTMLAttributes } from "react";
import type { ImageFormat } from "../../api/client";
import { useImageSource } from "../useImageSource";

export interface ServerImageProps extends Omit<ImgHTMLAttributes<HTMLImageElement>, "src" | "loading"> {
  imageId: string;
  format?: ImageFormat;
  size?: number;
  /** Fetch only when scrolled near. */
  lazy?: boolean;
}

export function ServerImage({ imageId, format, size, lazy, ...img }: ServerImageProps) {
  const ref = useRef<HTMLImageElement>(null);
  const { src, failed } = useImageSource(imageId, { format, size, lazyRef: lazy ? ref : undefined });
  return <img ref={ref} {...img} src={src} data-state={src ? "loaded" : failed ? "failed" : "loading"} />;
}
