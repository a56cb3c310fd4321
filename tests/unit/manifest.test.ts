// manifest.xml: valid against the Office schemas (offline, xmllint), for Word and PowerPoint, with
// a Home-tab button, real icons of the declared sizes, and URLs the build actually produces.
import { describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateManifest } from "../../backend/manifest/validate";
import { itUnless } from "../helpers/skip";

const root = join(import.meta.dirname, "..", "..");
const manifest = readFileSync(join(root, "manifest.xml"), "utf8");
const hasXmllint = spawnSync("xmllint", ["--version"]).status === 0;
const DEV = "https://localhost:3000";

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): [number, number] {
  const bytes = readFileSync(file);
  expect({ message: `${file} is a PNG`, actual: [...bytes.subarray(0, 8)] }).toStrictEqual({
    message: `${file} is a PNG`,
    actual: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  });
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe("manifest.xml", () => {
  itUnless(
    !hasXmllint && !process.env.CI && "xmllint not installed (apt-get install libxml2-utils)"
  )("validates against schemas/office with xmllint", () => {
    const result = validateManifest(join(root, "manifest.xml"));
    assert.ok(result.valid, result.output);
  });

  itUnless(!hasXmllint && !process.env.CI && "xmllint not installed")(
    "the schema check catches a broken manifest",
    async () => {
      const { mkdtempSync, writeFileSync } = await import("node:fs");
      const { tmpdir } = await import("node:os");
      const broken = join(mkdtempSync(join(tmpdir(), "lumen-manifest-")), "manifest.xml");
      writeFileSync(
        broken,
        manifest.replace(
          "<Permissions>ReadWriteDocument</Permissions>",
          "<Permissions>Everything</Permissions>"
        )
      );
      const result = validateManifest(broken);
      assert.strictEqual(result.valid, false);
      assert.match(result.output, /Permissions/);
    }
  );

  it("is a task pane add-in for Word and PowerPoint with read/write access", () => {
    assert.match(manifest, /xsi:type="TaskPaneApp"/);
    assert.match(manifest, /<Host Name="Document"\/>\s*<Host Name="Presentation"\/>/);
    assert.match(manifest, /<Host xsi:type="Document">/);
    assert.match(manifest, /<Host xsi:type="Presentation">/);
    assert.match(manifest, /<Permissions>ReadWriteDocument<\/Permissions>/);
    assert.match(
      manifest,
      /<SourceLocation DefaultValue="https:\/\/localhost:3000\/taskpane.html"\/>/
    );
    assert.match(manifest, /<SupportUrl DefaultValue="https:\/\/[^"]+"\/>/);
    assert.match(manifest, /<AppDomain>https:\/\/localhost:3000<\/AppDomain>/);
  });

  it("puts a button that opens the task pane on the Home tab of both hosts", () => {
    const tabs = manifest.match(/<OfficeTab id="TabHome">[\s\S]*?<\/OfficeTab>/g) ?? [];
    assert.strictEqual(tabs.length, 2);
    for (const tab of tabs) {
      assert.match(tab, /<Control xsi:type="Button"/);
      assert.match(
        tab,
        /<Action xsi:type="ShowTaskpane">[\s\S]*<SourceLocation resid="Taskpane.Url"\/>/
      );
    }
  });

  it("declares icons of 16, 32, 64 and 80 px that exist as PNGs of those sizes", () => {
    const icons = [
      ...manifest.matchAll(/"https:\/\/localhost:3000\/assets\/icon-(\d+)\.png"/g),
    ].map((m) => Number(m[1]));
    expect([...new Set(icons)].sort((a, b) => a - b)).toStrictEqual([16, 32, 64, 80]);
    for (const size of [16, 32, 64, 80]) {
      expect(pngSize(join(root, "assets", `icon-${size}.png`))).toStrictEqual([size, size]);
    }
  });

  it("points only at pages and files the build produces, all on the development origin", () => {
    const urls = [...manifest.matchAll(/"(https:\/\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(urls.length > 5);
    const pages = {
      "taskpane.html": "addin/taskpane/taskpane.html",
      "commands.html": "addin/commands/commands.html",
      "creator.html": "addin/creator/creator.html",
    };
    for (const url of urls) {
      assert.ok(url.startsWith(`${DEV}/`) || url === DEV, `${url} is on ${DEV}`);
      const path = url.slice(DEV.length + 1);
      if (!path) continue;
      const source = path.startsWith("assets/") ? path : pages[path as keyof typeof pages];
      assert.ok(source && existsSync(join(root, source)), `${url} has a source in the repository`);
    }
  });
});
