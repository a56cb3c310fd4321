// An image from the server as an object URL: fetched through the API client, so it carries the
// sign-in token like every other call, and revoked when no longer shown.
import { useEffect, useState, type RefObject } from "react";
import type { ImageFormat } from "../api/client";
import { useLumen } from "./context";

export interface ImageSourceOptions {
  format?: ImageFormat;
  /** Longest side in pixels, made on the server. */
  size?: number;
  /** Wait until the element is near the viewport (long histories). */
  lazyRef?: RefObject<Element | null>;
}

function whenVisible(element: Element, signal: AbortSignal): Promise<void> {
  if (typeof IntersectionObserver === "undefined") return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          observer.disconnect();
          resolve();
        }
      },
      { rootMargin: "200px" },
    );
    observer.observe(element);
    signal.addEventListener("abort", () => observer.disconnect(), { once: true });
  });
}

export function useImageSource(id: string, { format, size, lazyRef }: ImageSourceOptions = {}): { src?: string; failed: boolean } {
  const { client } = useLumen();
  const [state, setState] = useState<{ src?: string; failed: boolean }>({ failed: false });

  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    const load = async () => {
      if (lazyRef?.current) await whenVisible(lazyRef.current, controller.signal);
      if (controller.signal.aborted) return;
      const blob = await client.imageBlob(id, { format, size, signal: controller.signal });
      if (controller.signal.aborted) return;
      objectUrl = URL.createObjectURL(blob);
      setState({ src: objectUrl, failed: false });
    };
    load().catch((error) => {
      if (controller.signal.aborted) return;
      console.warn(`Couldn't load image ${id}:`, error);
      setState({ failed: true });
    });
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setState({ failed: false });
    };
  }, [client, id, format, size, lazyRef]);

  return state;
}
