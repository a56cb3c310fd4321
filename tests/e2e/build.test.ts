// npm run build: the production pages load office.js from Microsoft's CDN (Office requires it) and
// dist/manifest.xml names the configured host instead of localhost.
import { afterAll, expect, it } from "@jest/globals";
import assert from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./support";
import { describeUnless } from "../helpers/skip";

const hasXmllint = (() => {
  try {
    execFileSync("xmllint", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describeUnless(!hasXmllint && !process.env.CI && "xmllint not installed")(
  "production build",
  () => {
    const dist = mkdtempSync(join(tmpdir(), "lumen-dist-"));
    afterAll(() => rmSync(dist, { recursive: true, force: true }));

    it("builds pages that load office.js from the CDN and a manifest for LUMEN_PUBLIC_URL", () => {
      execFileSync(process.execPath, ["--import", "tsx", join(root, "scripts", "build.ts")], {
        cwd: root,
        env: {
          ...process.env,
          LUMEN_DIST_DIR: dist,
          LUMEN_PUBLIC_URL: "https://images.example.org",
        },
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 220_000,
      });
      const files = readdirSync(dist);
      for (const page of ["taskpane.html", "creator.html", "commands.html", "manifest.xml"])
        assert.ok(files.includes(page), `${page} in dist`);
      // The Image Creator runs outside Office and needs no office.js.
      assert.doesNotMatch(readFileSync(join(dist, "creator.html"), "utf8"), /office\.js/);
      for (const page of ["taskpane.html", "commands.html"]) {
        const html = readFileSync(join(dist, page), "utf8");
        assert.match(
          html,
          /src="?https:\/\/appsforoffice\.microsoft\.com\/lib\/1\/hosted\/office\.js/,
          page
        );
        assert.doesNotMatch(html, /vendor\/office-js/, page);
      }
      const manifest = readFileSync(join(dist, "manifest.xml"), "utf8");
      assert.doesNotMatch(manifest, /localhost/);
      assert.match(
        manifest,
        /<SourceLocation DefaultValue="https:\/\/images\.example\.org\/taskpane\.html"\/>/
      );
      expect(
        readdirSync(join(dist, "assets"))
          .filter((f) => f.endsWith(".png"))
          .sort()
      ).toStrictEqual(["icon-128.png", "icon-16.png", "icon-32.png", "icon-64.png", "icon-80.png"]);
    });
  }
);
