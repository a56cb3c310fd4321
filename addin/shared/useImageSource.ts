// An image from the server as an object URL: fetched through the API client, so it carries the
// sign-in token like every other call, and revoked when no longer shown.
import { useEffect, useRef, useState, type RefObject } from "react";
import type { ImageFormat } from "../api/client";
import { useLumen, useSession } from "./context";

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
      { rootMargin: "200px" }
    );
    observer.observe(element);
    signal.addEventListener("abort", () => observer.disconnect(), { once: true });
  });
}

export function useImageSource(
  id: string,
  { format, size, lazyRef }: ImageSourceOptions = {}
): { src?: string; failed: boolean } {
  const { client } = useLumen();
  return useServerBlob(
    `${id}|${format ?? ""}|${size ?? ""}`,
    (signal) => client.imageBlob(id, { format, size, signal }),
    lazyRef
  );
}

/** An image the server names by path (an arena picture), as an object URL. */
export function usePathSource(path: string): { src?: string; failed: boolean } {
  const { client } = useLumen();
  return useServerBlob(path, (signal) => client.blob(path, signal));
}

/** What both hooks share: fetch when `key` changes (and again after sign-in), revoke when done. */
function useServerBlob(
  key: string,
  fetchBlob: (signal: AbortSignal) => Promise<Blob>,
  lazyRef?: RefObject<Element | null>
): { src?: string; failed: boolean } {
  const { client } = useLumen();
  const { signIn } = useSession();
  const [state, setState] = useState<{ src?: string; failed: boolean }>({ failed: false });
  const [attempt, setAttempt] = useState(0);
  const fetcher = useRef(fetchBlob);
  fetcher.current = fetchBlob;

  // An image that failed while sign-in had failed loads once Try again has signed in.
  const failed = useRef(false);
  failed.current = state.failed;
  useEffect(() => {
    if (failed.current && signIn.status === "signed-in") setAttempt((n) => n + 1);
  }, [signIn.status]);

  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    const load = async () => {
      if (lazyRef?.current) await whenVisible(lazyRef.current, controller.signal);
      if (controller.signal.aborted) return;
      const blob = await fetcher.current(controller.signal);
      if (controller.signal.aborted) return;
      objectUrl = URL.createObjectURL(blob);
      setState({ src: objectUrl, failed: false });
    };
    load().catch((error) => {
      if (controller.signal.aborted) return;
      console.warn(`Couldn't load image ${key}:`, error);
      setState({ failed: true });
    });
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setState({ failed: false });
    };
  }, [client, key, lazyRef, attempt]);

  return state;
}
