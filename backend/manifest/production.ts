// Production manifests for central deployment: the development manifest.xml with every URL on
// the organisation's host, its own add-in id and version, and sign-in details when configured.
import { createHash } from "node:crypto";

export const DEV_URL = "https://localhost:3000";

export interface ManifestOptions {
  /** Where the add-in is served, e.g. https://images.example.org (an optional path is kept). */
  url: string;
  /** Add-in id; default: derived from the URL, so regenerating for the same host keeps it. */
  id?: string;
  /** Four-part version X.Y.Z.W; bump it for every update admins roll out. */
  version: string;
  /** Entra ID app registration of the add-in, to enable sign-in (WebApplicationInfo). */
  signIn?: { clientId: string; resource: string };
}

export class ManifestError extends Error {
  override name = "ManifestError";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks an admin-given URL: https, a host, no query or fragment; returns it without a trailing slash. */
export function productionUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ManifestError(
      `--url "${value}" is not a URL; give the https address users will reach, e.g. https://images.example.org`
    );
  }
  if (url.protocol !== "https:")
    throw new ManifestError(
      `--url must use https (Office loads add-ins only over HTTPS), got ${url.protocol}//`
    );
  if (!url.hostname) throw new ManifestError("--url has no host name");
  if (url.hostname === "localhost" || url.hostname === "127.0.0.1") {
    throw new ManifestError("--url points at this machine; give the host name users will reach");
  }
  if (url.search || url.hash) throw new ManifestError("--url must not have a query or fragment");
  return url;
}

/**
 * A name-based (version 5) UUID of the URL, so the same host always gets the same add-in id.
 * Node's crypto has no v5; the algorithm is a SHA-1 over a namespace and the name (RFC 4122 §4.3).
 */
export function addinIdFor(url: string): string {
  const namespace = Buffer.from("6ba7b8119dad11d180b400c04fd430c8", "hex"); // RFC 4122 URL namespace
  const hash = createHash("sha1").update(namespace).update(url).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function productionManifest(template: string, options: ManifestOptions): string {
  const url = productionUrl(options.url);
  const base = url.href.replace(/\/$/, "");
  if (!/^\d{1,5}\.\d{1,5}\.\d{1,5}\.\d{1,5}$/.test(options.version)) {
    throw new ManifestError(
      `--version must have four numbers, like 1.0.0.0; got "${options.version}"`
    );
  }
  const id = options.id ?? addinIdFor(base);
  if (!GUID.test(id)) throw new ManifestError(`--id must be a GUID, got "${id}"`);

  let xml = template
    .replace(/<!--[\s\S]*?-->\n?/g, "")
    .replace(/<Id>[^<]*<\/Id>/, `<Id>${id}</Id>`)
    .replace(/<Version>[^<]*<\/Version>/, `<Version>${options.version}</Version>`)
    // An app domain is an origin; everything else is a full URL under the base.
    .replace(/<AppDomain>[^<]*<\/AppDomain>/g, `<AppDomain>${url.origin}</AppDomain>`)
    .replaceAll(DEV_URL, base);
  if (options.signIn) {
    const { clientId, resource } = options.signIn;
    if (!GUID.test(clientId))
      throw new ManifestError(`the sign-in client id must be a GUID, got "${clientId}"`);
    const info =
      `    <WebApplicationInfo>\n      <Id>${clientId}</Id>\n      <Resource>${resource}</Resource>\n` +
      `      <Scopes>\n        <Scope>openid</Scope>\n        <Scope>profile</Scope>\n      </Scopes>\n    </WebApplicationInfo>\n`;
    xml = xml.replace(/(\s*<\/Resources>\n)(\s*<\/VersionOverrides>)/, `$1${info}$2`);
  }
  if (xml.includes("localhost"))
    throw new ManifestError("the manifest template still names localhost after rewriting");
  return xml;
}
