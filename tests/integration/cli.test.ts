// The `lumen` command as a user runs it: a real process, real files, exit codes and one-line errors.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { promisify } from "node:util";
import sharp from "sharp";
import {
  readContentCredentials,
  readProvenance,
  TRAINED_ALGORITHMIC_MEDIA,
} from "../../backend/provenance";
import { GENERATOR } from "../../backend/provenance/parameters";
import { organisationChain } from "../helpers/c2pa-chain";
import { fixtureModel, fixturesDir } from "../helpers/fixtures";
import { readEvents, startTestServer } from "../helpers/server";

const bin = join(import.meta.dirname, "..", "..", "bin", "lumen.js");
const work = mkdtempSync(join(tmpdir(), "lumen-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function lumen(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      cwd: work,
    });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string };
  }
}

const generateArgs = (seed: number, out: string, extra: string[] = []) => [
  "generate",
  "--model",
  fixtureModel("sd15"),
  "--prompt",
  "a lake",
  "--seed",
  String(seed),
  "--width",
  "64",
  "--height",
  "64",
  "--steps",
  "3",
  "--device",
  "cpu",
  "--out",
  join(work, out),
  ...extra,
];

describe("lumen generate", () => {
  it("writes a valid PNG, the same pixels for the same seed and different ones for another", async () => {
    const first = await lumen(generateArgs(1, "a.png"));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /a\.png\tseed 1/);
    assert.match(first.stderr, /unet [\d.]+ ms/);
    await lumen(generateArgs(1, "b.png"));
    await lumen(generateArgs(2, "c.png"));
    const [a, b, c] = ["a.png", "b.png", "c.png"].map((f) => readFileSync(join(work, f)));
    const pixels = (png: Buffer) => sharp(png).raw().toBuffer();
    assert.ok((await pixels(a)).equals(await pixels(b)), "same seed, different pixels");
    assert.ok(!(await pixels(a)).equals(await pixels(c)), "different seeds, same pixels");
    // Each file carries its own signature, so only the pixels repeat.
    assert.ok(!a.equals(b));
    const meta = await sharp(a).metadata();
    expect([meta.format, meta.width, meta.height]).toStrictEqual(["png", 64, 64]);
  });

  it("writes several images as numbered files in the format of the extension", async () => {
    const run = await lumen(generateArgs(5, "many.webp", ["--n", "2"]));
    assert.equal(run.code, 0, run.stderr);
    for (const [file, seed] of [
      ["many-1.webp", 5],
      ["many-2.webp", 6],
    ] as const) {
      assert.match(run.stdout, new RegExp(`${file}\\tseed ${seed}`));
      assert.equal((await sharp(readFileSync(join(work, file))).metadata()).format, "webp");
    }
  });

  it("upscales to the requested size with sharp when the model has a smaller native size", async () => {
    // A copy of the fixture that declares a 64×64 native size, like the embedded model's 128×128.
    const dir = join(work, "native");
    cpSync(fixtureModel("sd15"), dir, { recursive: true });
    writeFileSync(
      join(dir, "lumen.json"),
      JSON.stringify({ nativeSize: [64, 64], defaults: { steps: 2 } })
    );
    const run = await lumen([
      "generate",
      "--model",
      dir,
      "--prompt",
      "x",
      "--seed",
      "1",
      "--width",
      "128",
      "--height",
      "128",
      "--out",
      join(work, "up.jpg"),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /64×64 upscaled to 128×128/);
    const meta = await sharp(readFileSync(join(work, "up.jpg"))).metadata();
    expect([meta.format, meta.width, meta.height]).toStrictEqual(["jpeg", 128, 128]);
  });

  for (const [what, args, pattern] of [
    [
      "a missing model folder",
      ["generate", "--model", "/no/such/model", "--prompt", "x"],
      /model folder \/no\/such\/model does not exist/,
    ],
    [
      "a missing component",
      ["generate", "--model", fixturesDir, "--prompt", "x"],
      /model_index\.json is missing/,
    ],
    [
      "a bad size",
      [
        "generate",
        "--model",
        fixtureModel("sd15"),
        "--prompt",
        "x",
        "--width",
        "100",
        "--device",
        "cpu",
      ],
      /width must be a multiple of 8/,
    ],
    [
      "a non-numeric option",
      ["generate", "--prompt", "x", "--steps", "many"],
      /--steps must be an integer/,
    ],
    // DirectML is only in the Windows build, CoreML only in the macOS one.
    [
      "a device this platform's build lacks",
      [
        "generate",
        "--model",
        fixtureModel("sd15"),
        "--prompt",
        "x",
        "--device",
        process.platform === "win32" ? "coreml" : "dml",
      ],
      /(dml|coreml) execution provider unavailable: (DirectML|CoreML) is only in onnxruntime-node's (Windows|macOS) build/,
    ],
  ] as const) {
    it(`fails with one line and a non-zero exit for ${what}`, async () => {
      const run = await lumen([...args]);
      assert.notEqual(run.code, 0);
      const lines = run.stderr.split("\n").filter((l) => l.startsWith("lumen:"));
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], pattern);
    });
  }
});

describe("lumen generate provenance", () => {
  it("writes the same XMP and parameters text as the service does for the same request", async () => {
    const run = await lumen(generateArgs(3, "prov.png"));
    assert.equal(run.code, 0, run.stderr);
    const jpeg = await lumen(generateArgs(3, "prov.jpg"));
    assert.equal(jpeg.code, 0, jpeg.stderr);
    const cli = await readProvenance(readFileSync(join(work, "prov.png")));
    const cliJpeg = await readProvenance(readFileSync(join(work, "prov.jpg")));
    assert.equal(cli.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    assert.match(
      cli.parameters!,
      /^a lake\nSteps: 3, Sampler: .*, Seed: 3, Size: 64x64, Model: sd15, Generator: Lumen /
    );

    const server = await startTestServer();
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake", seed: 3, width: 64, height: 64, steps: 3 },
      });
      const { id } = await res.json();
      await readEvents(await server.api(`/api/generations/${id}/events`));
      const png = Buffer.from(await (await server.api(`/api/images/${id}-0.png`)).arrayBuffer());
      const service = await readProvenance(png);
      // PNG: XMP and parameters
      expect(cli).toStrictEqual(service);
      assert.equal(cliJpeg.xmp, service.xmp, "JPEG: the same XMP packet");
      assert.equal(cliJpeg.parameters, service.parameters);
      // The same Content Credentials assertions; each signer's own certificate.
      const cliCredentials = (await readContentCredentials(readFileSync(join(work, "prov.png"))))!;
      const serviceCredentials = (await readContentCredentials(png))!;
      expect(cliCredentials.manifest.actions).toStrictEqual(serviceCredentials.manifest.actions);
      expect(cliCredentials.manifest.claimGenerator).toStrictEqual(
        serviceCredentials.manifest.claimGenerator
      );
      expect([cliCredentials.state, cliCredentials.failures]).toStrictEqual([
        "Valid",
        ["signingCredential.untrusted"],
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe("lumen generate Content Credentials", () => {
  const created = [
    {
      action: "c2pa.created",
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      softwareAgent: { name: "Lumen", version: GENERATOR.version },
      parameters: { model: "sd15" },
    },
  ];

  it("signs PNG and JPEG files with the development certificate under LUMEN_DATA_DIR/c2pa, saying it is untrusted", async () => {
    const dataDir = join(work, "cc-data");
    for (const file of ["cc.png", "cc.jpg"]) {
      const run = await lumen(generateArgs(7, file), { LUMEN_DATA_DIR: dataDir });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stderr,
        /lumen: Content Credentials signed with the development certificate in .*cc-data\/c2pa: validators show them as untrusted/
      );
      const report = await readContentCredentials(readFileSync(join(work, file)), {
        trustAnchors: readFileSync(join(dataDir, "c2pa", "dev-ca.pem"), "utf8"),
      });
      assert.ok(report, `${file} has no manifest`);
      expect([report.state, report.failures]).toStrictEqual(["Trusted", []]);
      assert.equal(report.manifest.title, file);
      expect(report.manifest.actions).toStrictEqual(created);
      assert.equal(report.manifest.signature.commonName, "Lumen development signer");
      assert.equal(
        (await readProvenance(readFileSync(join(work, file)))).digitalSourceType,
        TRAINED_ALGORITHMIC_MEDIA,
        "XMP stays"
      );
    }
  });

  it("signs with the organisation's key and chain from LUMEN_C2PA_KEY and LUMEN_C2PA_CERT", async () => {
    const chainDir = join(work, "org-chain");
    mkdirSync(chainDir);
    const { keyPath, certPath, caPem } = await organisationChain(chainDir);
    const run = await lumen(generateArgs(8, "org.png"), {
      LUMEN_C2PA_KEY: keyPath,
      LUMEN_C2PA_CERT: certPath,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /development certificate/);
    const report = (await readContentCredentials(readFileSync(join(work, "org.png")), {
      trustAnchors: caPem,
    }))!;
    expect([report.state, report.failures]).toStrictEqual(["Trusted", []]);
    assert.equal(report.manifest.signature.commonName, "Contoso Lumen");
    expect(report.manifest.actions).toStrictEqual(created);
  });

  for (const [what, env, pattern] of [
    [
      "a key without its certificate chain",
      { LUMEN_C2PA_KEY: "/etc/lumen/key.pem" },
      /LUMEN_C2PA_KEY and LUMEN_C2PA_CERT go together/,
    ],
    [
      "a key file that does not exist",
      { LUMEN_C2PA_KEY: "/no/key.pem", LUMEN_C2PA_CERT: "/no/chain.pem" },
      /Content Credentials: \/no\/key\.pem does not exist/,
    ],
  ] as const) {
    it(`writes nothing and fails with one line for ${what}`, async () => {
      const out = `refused-${Object.keys(env).length}.png`;
      const run = await lumen(generateArgs(9, out), env);
      assert.equal(run.code, 1);
      const lines = run.stderr.split("\n").filter((l) => l.startsWith("lumen:"));
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], pattern);
      assert.ok(!existsSync(join(work, out)), "a file was written");
    });
  }
});

describe("lumen tokenize", () => {
  it("prints the model's input_ids as JSON", async () => {
    const run = await lumen(["tokenize", "--model", fixtureModel("sd21"), "a photo of a cat"]);
    assert.equal(run.code, 0, run.stderr);
    const ids = JSON.parse(run.stdout);
    expect(ids.slice(0, 8)).toStrictEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0]);
    assert.equal(ids.length, 77);
  });
});

describe("lumen models", () => {
  it("lists the model folders with family, precision, size and devices", async () => {
    const run = await lumen(["models"], { LUMEN_MODELS_DIR: fixturesDir });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.match(lines[0], /^name\s+family\s+precision\s+size\s+devices/);
    expect(
      lines.slice(1).map((l) =>
        l
          .split(/\s{2,}/)
          .filter((c) => !/MB|kB/.test(c))
          .slice(0, 4)
      )
    ).toStrictEqual([
      ["sd15", "sd", "fp32", "cpu,cuda,webgpu,dml,coreml"],
      ["sd21", "sd", "fp32", "cpu,cuda,webgpu,dml,coreml"],
      ["sdxl", "sdxl", "fp16", "cpu,cuda,webgpu,dml,coreml"],
    ]);
    const json = JSON.parse(
      (await lumen(["models", "--json"], { LUMEN_MODELS_DIR: fixturesDir })).stdout
    );
    assert.ok(json.every((m: { bytes: number }) => m.bytes > 0));
  });

  it("says where models go and how to add one when there are none", async () => {
    const empty = join(work, "no-models");
    const run = await lumen(["models"], { LUMEN_MODELS_DIR: empty });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      `no models in ${empty}; add one with: lumen models pull <owner/name>\n`
    );
  });
});

describe("the lumen launcher", () => {
  const cache = join(import.meta.dirname, "..", "..", "node_modules", ".cache", "lumen-cli");
  /** Complete builds: folders with a stamp. */
  const builds = () =>
    readdirSync(cache).filter(
      (name) => existsSync(join(cache, name, "stamp")) && existsSync(join(cache, name, "cli.js"))
    );
  const source = join(import.meta.dirname, "..", "..", "backend", "cli.ts");

  it("runs from a bundle that it builds anew when a backend source is newer", async () => {
    const original = statSync(source);
    await lumen(["--version"]);
    const before = builds();
    utimesSync(source, original.atime, new Date(Date.now() + 60_000));
    try {
      const run = await lumen(["--version"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout.trim(),
        JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8"))
          .version
      );
      const added = builds().filter((b) => !before.includes(b));
      assert.equal(added.length, 1, "one new build");
      const built = statSync(join(cache, added[0], "cli.js")).mtimeMs;
      await lumen(["--version"]);
      // an up-to-date bundle is used, not built again
      expect(builds().filter((b) => !before.includes(b))).toStrictEqual(added);
      assert.equal(statSync(join(cache, added[0], "cli.js")).mtimeMs, built);
    } finally {
      utimesSync(source, original.atime, original.mtime);
    }
  });

  it("serves several commands started at once after a change, each from a whole build", async () => {
    const original = statSync(source);
    utimesSync(source, original.atime, new Date(Date.now() + 120_000));
    try {
      // `models rm` imports its command's chunk after start-up: a build replaced under a running
      // command would make that import fail.
      const empty = join(work, "no-models-here");
      const runs = await Promise.all(
        Array.from({ length: 4 }, () =>
          lumen(["models", "rm", "nothing-here"], { LUMEN_MODELS_DIR: empty })
        )
      );
      for (const run of runs) {
        assert.doesNotMatch(run.stderr, /ERR_MODULE_NOT_FOUND|Cannot find module/, run.stderr);
        expect([run.code, run.stderr]).toStrictEqual([runs[0].code, runs[0].stderr]);
      }
      assert.notEqual(runs[0].code, 0, "removing a model that is not there fails");
    } finally {
      utimesSync(source, original.atime, original.mtime);
    }
  });
});
