// manifest.json, the unified app manifest: valid against schemas/app-manifest (offline, ajv), the
// same add-in as manifest.xml, and the production manifest and app package `lumen manifest
// --format json` builds from it.
import { describe, expect, it } from "@jest/globals";
import { unzipSync } from "fflate";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { addinIdFor } from "../../backend/manifest/production";
import {
  appPackage,
  productionAppManifest,
  type AppManifest,
} from "../../backend/manifest/unified";
import { validateAppManifest } from "../../backend/manifest/validate-json";

const root = join(import.meta.dirname, "..", "..");
const text = readFileSync(join(root, "manifest.json"), "utf8");
const manifest = (): AppManifest => JSON.parse(text);
const xml = readFileSync(join(root, "manifest.xml"), "utf8");
const PROD = "https://images.example.org";
const SIGN_IN = {
  clientId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  resource: "api://images.example.org/0f8fad5b-d9cb-469f-a165-70867728950e",
};

type Any = any;
const extension = (m: AppManifest): Any => (m.extensions as Any)[0];
const xmlValue = (pattern: RegExp) => pattern.exec(xml)?.[1];

describe("manifest.json", () => {
  it("validates against schemas/app-manifest", () => {
    expect(validateAppManifest(manifest())).toStrictEqual({ valid: true, errors: [] });
  });

  it("the schema check catches a broken manifest and names the place", () => {
    const broken = manifest();
    extension(broken).requirements.scopes = ["document", "slides"];
    delete broken.accentColor;
    const result = validateAppManifest(broken);
    expect(result.valid).toBe(false);
    expect(result.errors).toContain(
      "/extensions/0/requirements/scopes/1 must be equal to one of the allowed values (mail, workbook, document, presentation)"
    );
    expect(result.errors).toContain("/ must have required property 'accentColor'");
  });

  it("is the add-in of manifest.xml: id, hosts, requirement, permission, task pane and Home-tab button", () => {
    const m = manifest();
    expect(m.id).toBe(xmlValue(/<Id>([^<]+)<\/Id>/));
    expect(`${m.version}.0`).toBe(xmlValue(/<Version>([^<]+)<\/Version>/));
    expect(extension(m).requirements.scopes).toStrictEqual(["document", "presentation"]);
    expect(xml).toMatch(/<Host Name="Document"\/>\s*<Host Name="Presentation"\/>/);
    expect(extension(m).requirements.capabilities).toStrictEqual([
      { name: "ImageCoercion", minVersion: "1.1" },
    ]);
    expect(xml).toMatch(/<Set Name="ImageCoercion" MinVersion="1.1"\/>/);
    expect(xml).toMatch(/<Permissions>ReadWriteDocument<\/Permissions>/);
    expect(m.authorization).toStrictEqual({
      permissions: { resourceSpecific: [{ name: "Document.ReadWrite.User", type: "Delegated" }] },
    });

    const [runtime] = extension(m).runtimes;
    expect(runtime.code.page).toBe(xmlValue(/<bt:Url id="Taskpane.Url" DefaultValue="([^"]+)"/));
    const [ribbon] = extension(m).ribbons;
    const [tab] = ribbon.tabs;
    expect(tab.builtInTabId).toBe("TabHome");
    const [button] = tab.groups[0].controls;
    expect(button.label).toBe(xmlValue(/<bt:String id="Button.Label" DefaultValue="([^"]+)"/));
    expect(button.supertip.description).toBe(
      xmlValue(/<bt:String id="Button.Tooltip" DefaultValue="([^"]+)"/)
    );
    expect(runtime.actions).toContainEqual(
      expect.objectContaining({ id: button.actionId, type: "openPage" })
    );
    expect(button.icons.map((i: Any) => i.size)).toStrictEqual([16, 32, 80]);
  });

  it("names a 192×192 colour icon and a 32×32 outline icon on transparency that exist", async () => {
    const icons = manifest().icons as Record<string, string>;
    const color = await sharp(join(root, icons.color)).metadata();
    expect([color.format, color.width, color.height]).toStrictEqual(["png", 192, 192]);
    const outline = sharp(join(root, icons.outline));
    const meta = await outline.metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toStrictEqual([
      "png",
      32,
      32,
      true,
    ]);
    // White lines on a transparent ground: every visible pixel is white.
    const { data } = await outline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    let visible = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) continue;
      visible++;
      expect([data[i], data[i + 1], data[i + 2]]).toStrictEqual([255, 255, 255]);
    }
    expect(visible).toBeGreaterThan(50);
    expect(visible).toBeLessThan(32 * 32 - 100);
  });
});

describe("productionAppManifest", () => {
  it("puts every URL on the given host, with the id the XML manifest gets for it, and validates", () => {
    const m = productionAppManifest(manifest(), { url: PROD, version: "1.4.0" });
    const json = JSON.stringify(m);
    expect(json).not.toMatch(/localhost/);
    const urls = [...json.matchAll(/"(https?:\/\/[^"]+)"/g)]
      .map((u) => u[1])
      .filter((u) => !u.startsWith("https://developer.microsoft.com/"));
    expect(urls.length).toBeGreaterThan(8);
    for (const url of urls) expect(url.startsWith(`${PROD}/`)).toBe(true);
    expect(m.validDomains).toStrictEqual(["images.example.org"]);
    expect(m.id).toBe(addinIdFor(PROD));
    expect(m.version).toBe("1.4.0");
    expect(m.icons).toStrictEqual({ color: "color.png", outline: "outline.png" });
    expect(m.webApplicationInfo).toBeUndefined();
    expect(validateAppManifest(m).valid).toBe(true);
  });

  it("keeps a path under the host and a port in the domain", () => {
    const m = productionAppManifest(manifest(), {
      url: "https://apps.example.org:8443/lumen/",
      version: "1.0.0",
    });
    expect(extension(m).runtimes[0].code.page).toBe(
      "https://apps.example.org:8443/lumen/taskpane.html"
    );
    expect(m.validDomains).toStrictEqual(["apps.example.org:8443"]);
  });

  it("carries the sign-in settings the XML manifest's WebApplicationInfo has", () => {
    const m = productionAppManifest(manifest(), { url: PROD, version: "1.0.0", signIn: SIGN_IN });
    expect(m.webApplicationInfo).toStrictEqual({
      id: SIGN_IN.clientId,
      resource: SIGN_IN.resource,
    });
    expect(validateAppManifest(m).valid).toBe(true);
  });

  for (const [what, options, message] of [
    ["a four-part version", { url: PROD, version: "1.0.0.0" }, /three numbers/],
    ["an http URL", { url: "http://images.example.org", version: "1.0.0" }, /must use https/],
    ["localhost", { url: "https://localhost:3000", version: "1.0.0" }, /points at this machine/],
    ["a bad id", { url: PROD, version: "1.0.0", id: "not-a-guid" }, /must be a GUID/],
    [
      "a bad client id",
      { url: PROD, version: "1.0.0", signIn: { clientId: "x", resource: "api://x" } },
      /client id must be a GUID/,
    ],
  ] as const) {
    it(`refuses ${what}`, () => {
      expect(() => productionAppManifest(manifest(), options)).toThrow(message);
    });
  }

  it("refuses a template the schema rejects, with the place of the problem", () => {
    const broken = manifest();
    broken.accentColor = "blue";
    expect(() => productionAppManifest(broken, { url: PROD, version: "1.0.0" })).toThrow(
      /does not validate: \/accentColor must match pattern/
    );
  });
});

describe("appPackage", () => {
  const icons = async () => {
    const m = manifest().icons as Record<string, string>;
    return {
      color: readFileSync(join(root, m.color)),
      outline: readFileSync(join(root, m.outline)),
    };
  };

  it("zips manifest.json and the two icons, nothing else", async () => {
    const m = productionAppManifest(manifest(), { url: PROD, version: "1.0.0" });
    const files = unzipSync(await appPackage(m, await icons()));
    expect(Object.keys(files).sort()).toStrictEqual(["color.png", "manifest.json", "outline.png"]);
    expect(JSON.parse(Buffer.from(files["manifest.json"]).toString("utf8"))).toStrictEqual(m);
    expect(Buffer.from(files["color.png"]).equals((await icons()).color)).toBe(true);
  });

  it("refuses icons of the wrong size or an outline without transparency", async () => {
    const m = productionAppManifest(manifest(), { url: PROD, version: "1.0.0" });
    const { color, outline } = await icons();
    const small = await sharp(color).resize(128, 128).png().toBuffer();
    await expect(appPackage(m, { color: small, outline })).rejects.toThrow(
      "the colour icon must be 192×192 pixels, got 128×128"
    );
    const opaque = await sharp(outline).flatten({ background: "#4F52B2" }).png().toBuffer();
    await expect(appPackage(m, { color, outline: opaque })).rejects.toThrow(
      "the outline icon must have a transparent background"
    );
    await expect(appPackage(m, { color: Buffer.from("not a png"), outline })).rejects.toThrow(
      "the colour icon is not an image"
    );
  });
});
