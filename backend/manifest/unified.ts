// The unified app manifest for Microsoft 365 (manifest.json) for central deployment: the
// development manifest.json with every URL on the organisation's host, its own id and version,
// sign-in when configured, and the app package (.zip) that the admin center's Integrated apps
// takes: manifest.json with a 192×192 colour icon and a 32×32 transparent outline icon.
import { zipSync } from "fflate";
import sharp, { type Metadata } from "sharp";
import { DEV_URL, ManifestError, addinIdFor, productionUrl } from "./production";
import { validateAppManifest } from "./validate-json";

export interface AppManifestOptions {
  /** Where the add-in is served, e.g. https://images.example.org (an optional path is kept). */
  url: string;
  /** App id; default: derived from the URL, as for the XML manifest. */
  id?: string;
  /** Three-part (semver) version X.Y.Z; bump it for every update admins roll out. */
  version: string;
  /** Entra ID app registration of the add-in, to enable sign-in (webApplicationInfo). */
  signIn?: { clientId: string; resource: string };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type AppManifest = { [key: string]: Json };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The names of the icons inside the app package. */
export const PACKAGE_ICONS = { color: "color.png", outline: "outline.png" } as const;

function rewriteUrls(value: Json, base: string): Json {
  if (typeof value === "string") return value.replaceAll(DEV_URL, base);
  if (Array.isArray(value)) return value.map((v) => rewriteUrls(v, base));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteUrls(v, base)]));
  }
  return value;
}

/** The production manifest.json, checked against the schema in schemas/app-manifest. */
export function productionAppManifest(
  template: AppManifest,
  options: AppManifestOptions
): AppManifest {
  const url = productionUrl(options.url);
  const base = url.href.replace(/\/$/, "");
  if (!/^\d{1,5}\.\d{1,5}\.\d{1,5}$/.test(options.version)) {
    throw new ManifestError(
      `--version of a JSON manifest has three numbers, like 1.0.0; got "${options.version}"`
    );
  }
  const id = options.id ?? addinIdFor(base);
  if (!GUID.test(id)) throw new ManifestError(`--id must be a GUID, got "${id}"`);

  const manifest = rewriteUrls(template, base) as AppManifest;
  manifest.id = id;
  manifest.version = options.version;
  // Domains are host names (with a port when there is one), without the scheme.
  manifest.validDomains = [url.host];
  manifest.icons = { ...PACKAGE_ICONS };
  if (options.signIn) {
    const { clientId, resource } = options.signIn;
    if (!GUID.test(clientId))
      throw new ManifestError(`the sign-in client id must be a GUID, got "${clientId}"`);
    manifest.webApplicationInfo = { id: clientId, resource };
  } else {
    delete manifest.webApplicationInfo;
  }
  if (JSON.stringify(manifest).includes("localhost"))
    throw new ManifestError("the manifest template still names localhost after rewriting");
  const result = validateAppManifest(manifest);
  if (!result.valid)
    throw new ManifestError(
      `the generated manifest does not validate: ${result.errors.slice(0, 3).join("; ")}`
    );
  return manifest;
}

/** Checks an icon's size (and, for the outline, its transparency) as the admin center does. */
async function checkIcon(
  png: Buffer,
  name: string,
  size: number,
  transparent: boolean
): Promise<void> {
  let meta: Metadata;
  try {
    meta = await sharp(png).metadata();
  } catch {
    throw new ManifestError(`the ${name} icon is not an image`);
  }
  if (meta.format !== "png")
    throw new ManifestError(`the ${name} icon must be a PNG, got ${meta.format}`);
  if (meta.width !== size || meta.height !== size) {
    throw new ManifestError(
      `the ${name} icon must be ${size}×${size} pixels, got ${meta.width}×${meta.height}`
    );
  }
  if (transparent) {
    const { data } = await sharp(png)
      .ensureAlpha()
      .extractChannel("alpha")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (!data.some((alpha) => alpha === 0))
      throw new ManifestError(`the ${name} icon must have a transparent background`);
  }
}

/** The app package: manifest.json and its two icons at the top of a zip file. */
export async function appPackage(
  manifest: AppManifest,
  icons: { color: Buffer; outline: Buffer }
): Promise<Uint8Array> {
  const declared = manifest.icons as Record<string, Json> | undefined;
  if (declared?.color !== PACKAGE_ICONS.color || declared?.outline !== PACKAGE_ICONS.outline) {
    throw new ManifestError(
      `the manifest's icons must be ${PACKAGE_ICONS.color} and ${PACKAGE_ICONS.outline}`
    );
  }
  await checkIcon(icons.color, "colour", 192, false);
  await checkIcon(icons.outline, "outline", 32, true);
  return zipSync({
    "manifest.json": Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
    [PACKAGE_ICONS.color]: icons.color,
    [PACKAGE_ICONS.outline]: icons.outline,
  });
}
