// Picks the adapter for wherever the page is running.
import { BrowserHost } from "./browser";
import { PowerPointHost } from "./powerpoint";
import type { ImageHost } from "./types";
import { WordHost } from "./word";

export type { HostCapabilities, HostName, ImageHost, InsertOptions } from "./types";

/** Office.onReady's host (null outside Office) → the ImageHost that inserts there. */
export function hostFor(host: Office.HostType | null | undefined): ImageHost {
  if (host === Office.HostType.Word) return new WordHost();
  if (host === Office.HostType.PowerPoint) return new PowerPointHost();
  return new BrowserHost();
}

/**
 * Waits for office.js and returns the adapter. Outside Office onReady resolves with host null;
 * where office.js failed to load at all (no network to the CDN) the page still works as a browser page.
 */
export async function detectHost(timeoutMs = 5000): Promise<{ host: ImageHost; office: boolean }> {
  if (typeof Office === "undefined") return { host: new BrowserHost(), office: false };
  const info = await Promise.race([
    Office.onReady(),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs)),
  ]);
  const inOffice = !!info?.host;
  return { host: inOffice ? hostFor(info!.host) : new BrowserHost(), office: inOffice };
}
