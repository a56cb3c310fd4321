// The origin absolute links are built on (the OpenAI endpoint's image URLs). Never the request's
// Host header: anyone can send any Host, and the links travel on in documents and logs.
//   1. LUMEN_PUBLIC_URL, when set: the address users reach the service at.
//   2. Otherwise, for a request that came through a trusted proxy (Express's "trust proxy") and
//      carries X-Forwarded-Host: the proxy's scheme and host.
//   3. Otherwise the address the server itself listens on.
import type { Request } from "express";

export function linkOrigin(
  req: Request,
  options: { publicUrl?: string; selfUrl: () => string }
): string {
  if (options.publicUrl) return new URL(options.publicUrl).origin;
  const forwardedHost = req.get("x-forwarded-host");
  const trust = req.app.get("trust proxy fn") as (address: string, hop: number) => boolean;
  if (forwardedHost && req.socket.remoteAddress && trust(req.socket.remoteAddress, 0)) {
    // req.protocol reads X-Forwarded-Proto only from trusted proxies; the host is the first one listed.
    const host = forwardedHost.split(",")[0].trim();
    if (/^[\w.-]+(:\d{1,5})?$|^\[[\d:a-fA-F.]+\](:\d{1,5})?$/.test(host))
      return `${req.protocol}://${host}`;
  }
  return new URL(options.selfUrl()).origin;
}
