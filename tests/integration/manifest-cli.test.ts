// `lumen manifest`: production manifests for central deployment, validated offline.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { addinIdFor } from "../../backend/manifest/production";
import { validateManifest } from "../../backend/manifest/validate";
import { validateAppManifest } from "../../backend/manifest/validate-json";

const bin = join(import.meta.dirname, "..", "..", "bin", "lumen.js");
const work = mkdtempSync(join(tmpdir(), "lumen-manifest-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function lumen(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, "manifest", ...args],
      {
        env: { ...process.env, LUMEN_AUTH_CLIENT_ID: "", LUMEN_AUTH_AUDIENCE: "", ...env },
      }
    );
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string };
  }
}

describe("lumen manifest", () => {
  it("writes a valid manifest with every URL on the given host", async () => {
    const out = join(work, "prod.xml");
    const run = await lumen([
      "--url",
      "https://images.example.org",
      "--version",
      "1.4.0.0",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const xml = readFileSync(out, "utf8");
    assert.ok(validateManifest(out).valid);
    assert.doesNotMatch(xml, /localhost/);
    const urls = [...xml.matchAll(/(?:DefaultValue|<AppDomain>)="?(https?:\/\/[^"<]+)/g)].map(
      (m) => m[1]
    );
    assert.ok(urls.length >= 5);
    assert.ok(
      urls.every((u) => u.startsWith("https://images.example.org")),
      urls.join(" ")
    );
    assert.match(xml, /<Version>1\.4\.0\.0<\/Version>/);
    assert.match(xml, new RegExp(`<Id>${addinIdFor("https://images.example.org")}</Id>`));
    assert.doesNotMatch(xml, /WebApplicationInfo/);
  });

  it("keeps the same add-in id for the same host, so updates replace the add-in", async () => {
    assert.equal(addinIdFor("https://images.example.org"), "75d0416e-af21-5f57-bf06-810bdee301d0"); // RFC 4122 v5, URL namespace
    const out = join(work, "custom.xml");
    const run = await lumen([
      "--url",
      "https://a.example.org",
      "--id",
      "0f8fad5b-d9cb-469f-a165-70867728950e",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(out, "utf8"), /<Id>0f8fad5b-d9cb-469f-a165-70867728950e<\/Id>/);
  });

  it("adds WebApplicationInfo when sign-in is configured", async () => {
    const out = join(work, "signin.xml");
    const run = await lumen(["--url", "https://images.example.org", "--out", out], {
      LUMEN_AUTH_CLIENT_ID: "5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71",
      LUMEN_AUTH_AUDIENCE: "api://images.example.org/5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71",
    });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(validateManifest(out).valid);
    const xml = readFileSync(out, "utf8");
    assert.match(
      xml,
      /<WebApplicationInfo>\s*<Id>5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71<\/Id>\s*<Resource>api:\/\/images\.example\.org\//
    );
    assert.match(run.stdout, /sign-in on/);
  });

  for (const [what, args, message] of [
    ["an http URL", ["--url", "http://images.example.org"], /must use https/],
    ["a URL without a host", ["--url", "https://"], /not a URL|no host/],
    ["localhost", ["--url", "https://localhost:3000"], /points at this machine/],
    ["a bad version", ["--url", "https://a.example.org", "--version", "1.0"], /four numbers/],
    ["a bad id", ["--url", "https://a.example.org", "--id", "not-a-guid"], /must be a GUID/],
  ] as const) {
    it(`refuses ${what} with one clear line and writes nothing`, async () => {
      const out = join(work, "refused.xml");
      const run = await lumen([...args, "--out", out]);
      assert.equal(run.code, 1);
      assert.match(run.stderr.trim(), message);
      assert.equal(run.stderr.trim().split("\n").length, 1);
      assert.equal(existsSync(out), false);
    });
  }
});

describe("lumen manifest --format json", () => {
  it("writes the app package: manifest.json valid against the schema, a 192 px colour and a 32 px outline icon", async () => {
    const out = join(work, "lumen.zip");
    const run = await lumen([
      "--format",
      "json",
      "--url",
      "https://images.example.org",
      "--version",
      "1.4.0",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /valid JSON manifest/);
    const files = unzipSync(readFileSync(out));
    expect(Object.keys(files).sort()).toStrictEqual(["color.png", "manifest.json", "outline.png"]);
    const manifest = JSON.parse(Buffer.from(files["manifest.json"]).toString("utf8"));
    assert.equal(validateAppManifest(manifest).valid, true);
    assert.equal(manifest.id, addinIdFor("https://images.example.org"));
    assert.equal(manifest.version, "1.4.0");
    assert.equal(
      manifest.extensions[0].runtimes[0].code.page,
      "https://images.example.org/taskpane.html"
    );
    assert.equal(Buffer.from(files["color.png"]).readUInt32BE(16), 192);
    assert.equal(Buffer.from(files["outline.png"]).readUInt32BE(16), 32);
  });

  it("prints the manifest without --out, with the sign-in settings when configured", async () => {
    const run = await lumen(["--format", "json", "--url", "https://images.example.org"], {
      LUMEN_AUTH_CLIENT_ID: "5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71",
      LUMEN_AUTH_AUDIENCE: "api://images.example.org/5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71",
    });
    assert.equal(run.code, 0, run.stderr);
    const manifest = JSON.parse(run.stdout);
    expect(manifest.webApplicationInfo).toStrictEqual({
      id: "5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71",
      resource: "api://images.example.org/5b7e2c1a-8f43-4d6e-9a1b-3c2d4e5f6a71",
    });
    assert.match(run.stderr, /sign-in on/);
  });

  for (const [what, args, message] of [
    [
      "a four-part version",
      ["--format", "json", "--url", "https://a.example.org", "--version", "1.0.0.0"],
      /three numbers/,
    ],
    ["an unknown format", ["--format", "yaml", "--url", "https://a.example.org"], /--format/],
    ["a .zip for the XML manifest", ["--url", "https://a.example.org"], /add --format json/],
  ] as const) {
    it(`refuses ${what} and writes nothing`, async () => {
      const out = join(work, "refused.zip");
      const run = await lumen([...args, "--out", out]);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, message);
      assert.equal(existsSync(out), false);
    });
  }
});
