// `lumen models pull` as a user runs it — a real process, real files — against a stand-in of the
// Hugging Face Hub's HTTP API that serves the test fixtures as repositories. The pulled models then
// run in `lumen generate` and in the service.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { promisify } from "node:util";
import sharp from "sharp";
import { readProvenance } from "../../backend/provenance";
import { fixtureModel, fixturesDir } from "../helpers/fixtures";
import { downloadFile, fileDownloadInfo, listFiles, pathsInfo } from "@huggingface/hub";
import { repoFromFolder, startHubStandIn, type HubStandIn } from "../helpers/hub-stand-in";
import { readEvents, startTestServer } from "../helpers/server";

const bin = join(import.meta.dirname, "..", "..", "bin", "lumen.js");
const work = mkdtempSync(join(tmpdir(), "lumen-pull-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const external = join(fixturesDir, "hub", "sd15-onnx-data", "unet");
const GOOD_TOKEN = "hf_standin_reader";
const NO_GRANT_TOKEN = "hf_standin_nogrant";
const DATA_PATH = "unet/model.onnx_data";
const dataBytes = readFileSync(join(external, "model.onnx_data"));

let hub: HubStandIn;
beforeAll(async () => {
  hub = await startHubStandIn({
    // Small pages, so every listing takes several requests linked by `Link: rel="next"`.
    pageSize: 5,
    tokens: {
      [GOOD_TOKEN]: { grants: ["lumen-test/sd21-gated"] },
      [NO_GRANT_TOKEN]: { grants: [] },
    },
    repos: [
      // An ONNX export with its UNet weights in model.onnx_data, beside PyTorch weights and pictures,
      // as stabilityai/sdxl-turbo keeps them.
      repoFromFolder(
        "lumen-test/sd15",
        fixtureModel("sd15"),
        {
          "unet/model.onnx": readFileSync(join(external, "model.onnx")),
          [DATA_PATH]: dataBytes,
          "unet/diffusion_pytorch_model.safetensors": Buffer.alloc(3_000_000, 7),
          "text_encoder/model.safetensors": Buffer.alloc(1_000_000, 8),
          "samples.png": Buffer.alloc(200_000, 9),
          "README.md": "---\nlicense: creativeml-openrail-m\n---\n# sd15 test model\n",
        },
        { cardData: { license: "creativeml-openrail-m" } }
      ),
      repoFromFolder("lumen-test/sdxl", fixtureModel("sdxl")),
      repoFromFolder(
        "lumen-test/sd21-gated",
        fixtureModel("sd21"),
        {},
        { gated: "manual", cardData: { license: "other", license_name: "sai-nc-community" } }
      ),
      // A diffusers repository with PyTorch weights only (no ONNX export).
      repoFromFolder("lumen-test/sd-pytorch", fixtureModel("sd21"), {
        "model_index.json": JSON.stringify({
          _class_name: "StableDiffusionPipeline",
          unet: ["diffusers", "UNet2DConditionModel"],
          vae: ["diffusers", "AutoencoderKL"],
        }),
        "text_encoder/model.onnx": null,
        "unet/model.onnx": null,
        "vae_decoder/model.onnx": null,
        "vae_decoder/config.json": null,
        "text_encoder/model.safetensors": Buffer.alloc(2_000_000, 1),
        "unet/diffusion_pytorch_model.safetensors": Buffer.alloc(4_000_000, 2),
        "vae/diffusion_pytorch_model.safetensors": Buffer.alloc(1_000_000, 3),
      }),
    ],
  });
});
afterAll(() => hub.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh models folder and download cache. */
function place(name: string) {
  const models = join(work, name, "models");
  const cache = join(work, name, "cache");
  mkdirSync(models, { recursive: true });
  return { models, cache, env: { LUMEN_MODELS_DIR: models, LUMEN_CACHE_DIR: cache } };
}

async function lumen(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    HF_ENDPOINT: hub.url,
    HF_TOKEN: undefined,
    ...env,
  };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env: merged as NodeJS.ProcessEnv,
      cwd: work,
    });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string };
  }
}

/** The one error line of a failed run. */
function errorLine(run: Run): string {
  assert.notEqual(run.code, 0, `expected a failure; stdout: ${run.stdout}`);
  const lines = run.stderr.split("\n").filter((l) => l.startsWith("lumen: error:"));
  assert.equal(lines.length, 1, run.stderr);
  return lines[0];
}

function since(mark: number) {
  return hub.requests.slice(mark);
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const listAll = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
        .sort()
    : [];

describe("lumen models pull", () => {
  const main = place("main");

  it("fetches only the files the engine needs, installs them, and prints the command that uses the model", async () => {
    const mark = hub.requests.length;
    const run = await lumen(["models", "pull", "lumen-test/sd15", "--name", "sd15hub"], main.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^installed sd15hub \(lumen-test\/sd15@[0-9a-f]{12}, sd, /m);
    assert.match(
      run.stdout,
      /^licence: creativeml-openrail-m; read it at http:\/\/127\.0\.0\.1:\d+\/lumen-test\/sd15 before/m
    );
    assert.match(run.stdout, /npx lumen generate --model sd15hub --prompt/);
    assert.match(run.stdout, /LUMEN_MODEL=sd15hub npm start/);
    assert.match(run.stderr, /leaving 3 files the engine does not use/);

    const dir = join(main.models, "sd15hub");
    expect(listAll(dir)).toStrictEqual([
      "README.md",
      "model_index.json",
      "scheduler/scheduler_config.json",
      "source.json",
      "text_encoder/model.onnx",
      "tokenizer/merges.txt",
      "tokenizer/special_tokens_map.json",
      "tokenizer/tokenizer_config.json",
      "tokenizer/vocab.json",
      "unet/model.onnx",
      "unet/model.onnx_data",
      "vae_decoder/config.json",
      "vae_decoder/model.onnx",
      "vae_encoder/config.json",
      "vae_encoder/model.onnx",
    ]);
    assert.equal(
      sha256(join(dir, DATA_PATH)),
      createHash("sha256").update(dataBytes).digest("hex")
    );
    const source = JSON.parse(readFileSync(join(dir, "source.json"), "utf8"));
    assert.equal(source.repo, "lumen-test/sd15");
    assert.equal(source.commit, hub.commit("lumen-test/sd15"));

    const requests = since(mark);
    // Nothing the engine does not use was asked for.
    assert.ok(
      !requests.some((r) => /safetensors|samples\.png/.test(r.url)),
      requests.map((r) => r.url).join("\n")
    );
    // The listing came in pages, each following the previous page's Link header.
    assert.ok(requests.filter((r) => /\/tree\/[0-9a-f]{40}\?.*cursor=/.test(r.url)).length >= 2);
    // Large files came from the CDN the Hub redirected to, and every file was read at one commit.
    assert.ok(requests.some((r) => r.server === "cdn" && r.status === 200));
    assert.ok(
      requests
        .filter((r) => r.url.includes("/resolve/"))
        .every((r) => r.url.includes(`/resolve/${source.commit}/`))
    );
    // The cache keeps nothing of a finished pull.
    expect(listAll(main.cache)).toStrictEqual([]);
  });

  it("lists the pulled model with family, precision, size and devices", async () => {
    const run = await lumen(["models"], main.env);
    assert.equal(run.code, 0, run.stderr);
    const [header, row] = run.stdout.trim().split("\n");
    assert.match(header, /^name\s+family\s+precision\s+size\s+devices/);
    assert.match(
      row,
      /^sd15hub\s+sd\s+fp32\s+2\.0 MB\s+cpu,cuda,webgpu,dml,coreml\s+.*lumen-test\/sd15@[0-9a-f]{7}$/
    );
    const [json] = JSON.parse((await lumen(["models", "--json"], main.env)).stdout);
    assert.equal(json.precision, "fp32");
    expect(json.devices).toStrictEqual(["cpu", "cuda", "webgpu", "dml", "coreml"]);
    assert.equal(
      json.bytes,
      listAll(join(main.models, "sd15hub")).reduce(
        (s, f) => s + statSync(join(main.models, "sd15hub", f)).size,
        0
      )
    );
  });

  it("generates with the pulled model exactly what the same model generates from its own folder", async () => {
    const args = (model: string, out: string) => [
      "generate",
      "--model",
      model,
      "--prompt",
      "a lake",
      "--seed",
      "4",
      "--width",
      "64",
      "--height",
      "64",
      "--steps",
      "2",
      "--device",
      "cpu",
      "--out",
      join(work, out),
    ];
    const pulled = await lumen(args("sd15hub", "pulled.png"), main.env);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stderr, /sd15hub on cpu/);
    const original = await lumen(args(fixtureModel("sd15"), "original.png"));
    assert.equal(original.code, 0, original.stderr);
    // The same pixels; the provenance in each file names the model it came from.
    const [a, b] = await Promise.all(
      ["pulled.png", "original.png"].map((f) =>
        sharp(readFileSync(join(work, f)))
          .raw()
          .toBuffer()
      )
    );
    assert.ok(a.equals(b));
    assert.match(
      (await readProvenance(readFileSync(join(work, "pulled.png")))).parameters!,
      /Model: sd15hub/
    );
  });

  it("is served when the service's model is set to it, and /api/models lists it", async () => {
    const server = await startTestServer({ modelsDir: main.models, model: "sd15hub" });
    try {
      const ready = await (await server.api("/readyz")).json();
      assert.match(ready.detail, /model sd15hub on cpu/);
      const { models } = await (await server.api("/api/models")).json();
      const listed = models.find((m: { name: string }) => m.name === "sd15hub");
      assert.ok(listed, JSON.stringify(models));
      assert.equal(listed.default, true);
      assert.equal(listed.precision, "fp32");
      expect(listed.devices).toStrictEqual(["cpu", "cuda", "webgpu", "dml", "coreml"]);
      const created = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake at dawn", width: 64, height: 64, steps: 2, seed: 1 },
      });
      assert.equal(created.status, 202, await created.clone().text());
      const events = await readEvents(await server.api((await created.json()).links.events));
      expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });

      // A model pulled while the service runs is listed at once.
      const pulled = await lumen(["models", "pull", "lumen-test/sdxl"], main.env);
      assert.equal(pulled.code, 0, pulled.stderr);
      const after = (await (await server.api("/api/models")).json()).models.map(
        (m: { name: string }) => m.name
      );
      expect(after.sort()).toStrictEqual(["sd15hub", "sdxl"]);
    } finally {
      await server.stop();
    }
  });

  it("refuses to install over a model of the same name", async () => {
    const mark = hub.requests.length;
    assert.match(
      errorLine(await lumen(["models", "pull", "lumen-test/sd15", "--name", "sd15hub"], main.env)),
      /a model named sd15hub is already installed .*lumen models rm sd15hub/
    );
    assert.equal(since(mark).length, 0);
  });

  it("lists a pulled SDXL export as fp16 SDXL", async () => {
    const sdxl = JSON.parse((await lumen(["models", "--json"], main.env)).stdout).find(
      (m: { name: string }) => m.name === "sdxl"
    );
    assert.equal(sdxl.kind, "sdxl");
    assert.equal(sdxl.precision, "fp16");
    assert.ok(existsSync(join(main.models, "sdxl", "tokenizer_2", "tokenizer.json")));
  });

  it("removes a model with lumen models rm, and says so when there is none of that name", async () => {
    // What a pull killed while installing leaves: hidden, so never listed, and cleared later.
    const leftover = join(main.models, ".incoming-ghost-2147483646");
    mkdirSync(leftover);
    writeFileSync(join(leftover, "model_index.json"), "{}");
    assert.ok(!(await lumen(["models"], main.env)).stdout.includes("ghost"));
    const run = await lumen(["models", "rm", "sdxl"], main.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^removed sdxl \(/);
    assert.ok(!existsSync(join(main.models, "sdxl")));
    expect(readdirSync(main.models)).toStrictEqual(["sd15hub"]);
    assert.match(
      errorLine(await lumen(["models", "rm", "sdxl"], main.env)),
      /no model named sdxl in .* \(installed: sd15hub\)/
    );
  });
});

describe("interrupted and corrupted downloads", () => {
  const dataRequests = (mark: number) =>
    since(mark).filter(
      (r) =>
        r.server === "cdn" && r.url.includes(createHash("sha256").update(dataBytes).digest("hex"))
    );

  it("resumes with a Range request when the connection drops midway", async () => {
    const p = place("resume-once");
    hub.faults.push({ path: DATA_PATH, kind: "cut", afterBytes: 50_000, times: 1 });
    const mark = hub.requests.length;
    const run = await lumen(["models", "pull", "lumen-test/sd15"], p.env);
    hub.faults.length = 0;
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /unet\/model\.onnx_data: the connection to .* dropped .*; trying again \(2\)/
    );
    const gets = dataRequests(mark).filter((r) => r.range !== "bytes=0-0");
    expect(gets.map((r) => r.range)).toStrictEqual([
      undefined,
      `bytes=50000-${dataBytes.length - 1}`,
    ]);
    assert.equal(gets[1].status, 206);
    assert.equal(
      sha256(join(p.models, "sd15", DATA_PATH)),
      createHash("sha256").update(dataBytes).digest("hex")
    );
  });

  it("leaves nothing installed when the download keeps failing, and the next pull resumes the partial file", async () => {
    const p = place("resume-later");
    hub.faults.push({ path: DATA_PATH, kind: "cut", afterBytes: 30_000, times: 4 });
    const failed = await lumen(["models", "pull", "lumen-test/sd15"], p.env);
    hub.faults.length = 0;
    assert.match(
      errorLine(failed),
      /^lumen: error: unet\/model\.onnx_data: the connection to .* dropped/
    );
    // nothing, not even a staging folder, under models/
    expect(readdirSync(p.models)).toStrictEqual([]);
    const partial = readdirSync(join(p.cache, "downloads")).filter((f) => f.endsWith(".part"));
    assert.equal(partial.length, 1);
    const kept = statSync(join(p.cache, "downloads", partial[0])).size;
    assert.equal(kept, 4 * 30_000);

    const mark = hub.requests.length;
    const run = await lumen(["models", "pull", "lumen-test/sd15"], p.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /resuming unet\/model\.onnx_data at 120 kB of 192 kB/);
    const gets = dataRequests(mark).filter((r) => r.range !== "bytes=0-0");
    expect(gets.map((r) => [r.range, r.status])).toStrictEqual([
      [`bytes=${kept}-${dataBytes.length - 1}`, 206],
    ]);
    assert.equal(
      sha256(join(p.models, "sd15", DATA_PATH)),
      createHash("sha256").update(dataBytes).digest("hex")
    );
  });

  it("catches a corrupted byte, installs nothing and keeps no bad copy", async () => {
    const p = place("corrupt");
    hub.faults.push({ path: DATA_PATH, kind: "corrupt", offset: 1234 });
    const run = await lumen(["models", "pull", "lumen-test/sd15"], p.env);
    hub.faults.length = 0;
    assert.match(
      errorLine(run),
      /unet\/model\.onnx_data is corrupt: its SHA256 is [0-9a-f]{64}, the Hub lists [0-9a-f]{64}; the copy was discarded, run the pull again/
    );
    expect(readdirSync(p.models)).toStrictEqual([]);
    assert.ok(!readdirSync(join(p.cache, "downloads")).some((f) => f.endsWith(".part")));
    // The next pull downloads the file from its first byte.
    const mark = hub.requests.length;
    assert.equal((await lumen(["models", "pull", "lumen-test/sd15"], p.env)).code, 0);
    expect(
      dataRequests(mark)
        .filter((r) => r.range !== "bytes=0-0")
        .map((r) => r.range)
    ).toStrictEqual([undefined]);
  });
});

describe("repositories that cannot be pulled", () => {
  const p = place("refused");
  const largeRequests = (mark: number) =>
    since(mark).filter(
      (r) =>
        r.server === "cdn" || (r.url.includes("/resolve/") && !r.url.endsWith("/model_index.json"))
    );

  it("refuses a PyTorch-only repository before any large download", async () => {
    const mark = hub.requests.length;
    const line = errorLine(await lumen(["models", "pull", "lumen-test/sd-pytorch"], p.env));
    assert.match(
      line,
      /lumen-test\/sd-pytorch cannot run in Lumen: text_encoder\/, unet\/, vae\/ hold PyTorch weights, not ONNX \(export the model with `optimum-cli export onnx`, see docs\/MODELS\.md\)/
    );
    // only model_index.json was fetched
    expect(largeRequests(mark)).toStrictEqual([]);
    assert.ok(since(mark).some((r) => r.url.endsWith("/model_index.json")));
    expect(readdirSync(p.models)).toStrictEqual([]);
    // nor in the download cache
    expect(listAll(p.cache)).toStrictEqual([]);
  });

  it("asks for a token for a gated repository, and says when a token is rejected", async () => {
    let mark = hub.requests.length;
    assert.match(
      errorLine(await lumen(["models", "pull", "lumen-test/sd21-gated"], p.env)),
      /lumen-test\/sd21-gated is gated: accept its conditions at http:\/\/127\.0\.0\.1:\d+\/lumen-test\/sd21-gated, then set HF_TOKEN/
    );
    expect(largeRequests(mark)).toStrictEqual([]);

    mark = hub.requests.length;
    const rejected = errorLine(
      await lumen(["models", "pull", "lumen-test/sd21-gated"], {
        ...p.env,
        HF_TOKEN: "hf_not_a_valid_token",
      })
    );
    assert.match(
      rejected,
      /http:\/\/127\.0\.0\.1:\d+ rejected HF_TOKEN \(Invalid credentials in Authorization header\); check it or make a new one/
    );
    assert.ok(since(mark).every((r) => r.status === 401));

    assert.match(
      errorLine(
        await lumen(["models", "pull", "lumen-test/sd21-gated"], {
          ...p.env,
          HF_TOKEN: "not-a-token",
        })
      ),
      /HF_TOKEN is not a Hugging Face access token \(those start with hf_\)/
    );

    mark = hub.requests.length;
    const noGrant = errorLine(
      await lumen(["models", "pull", "lumen-test/sd21-gated"], {
        ...p.env,
        HF_TOKEN: NO_GRANT_TOKEN,
      })
    );
    assert.match(
      noGrant,
      /lumen-test\/sd21-gated is gated and HF_TOKEN's account has no access yet \(Access to model lumen-test\/sd21-gated is restricted and you are not in the authorized list/
    );
    assert.ok(since(mark).some((r) => r.status === 403));
    expect(readdirSync(p.models)).toStrictEqual([]);
  });

  it("pulls a gated repository with a token that has access", async () => {
    const run = await lumen(["models", "pull", "lumen-test/sd21-gated", "--name", "sd21"], {
      ...p.env,
      HF_TOKEN: GOOD_TOKEN,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /licence: sai-nc-community/);
    assert.ok(
      hub.requests
        .filter((r) => r.url.includes("/lumen-test/sd21-gated/resolve/"))
        .every((r) => r.authorization)
    );
    expect(readdirSync(p.models)).toStrictEqual(["sd21"]);
  });

  it("says when a repository or revision does not exist", async () => {
    assert.match(
      errorLine(await lumen(["models", "pull", "lumen-test/nothing-here"], p.env)),
      /lumen-test\/nothing-here was not found on http:\/\/127\.0\.0\.1:\d+ \(if it is private or gated, set HF_TOKEN\)/
    );
    const mark = hub.requests.length;
    const withToken = errorLine(
      await lumen(["models", "pull", "lumen-test/nothing-here"], { ...p.env, HF_TOKEN: GOOD_TOKEN })
    );
    assert.match(
      withToken,
      /lumen-test\/nothing-here was not found on http:\/\/127\.0\.0\.1:\d+, or HF_TOKEN has no access to it/
    );
    expect(since(mark).map((r) => r.status)).toStrictEqual([404]);
    assert.match(
      errorLine(await lumen(["models", "pull", "lumen-test/sd15@v9"], p.env)),
      /lumen-test\/sd15 has no revision "v9" \(Invalid rev id: v9\)/
    );
    assert.match(
      errorLine(await lumen(["models", "pull", "not a repo"], p.env)),
      /"not a repo" is not a Hugging Face repository id/
    );
  });

  it("says when the Hub cannot be reached", async () => {
    // A port that was free a moment ago: nothing listens there.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const line = errorLine(
      await lumen(["models", "pull", "lumen-test/sd15"], {
        ...p.env,
        HF_ENDPOINT: `http://127.0.0.1:${port}`,
      })
    );
    assert.match(
      line,
      new RegExp(
        `cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); set HF_ENDPOINT for a mirror`
      )
    );
  });
});

describe("the Hub stand-in, read by the official client", () => {
  const repo = "lumen-test/sd15";

  it("pages a recursive listing and gives LFS files their SHA-256 object id", async () => {
    const entries = [];
    for await (const e of listFiles({ repo, recursive: true, hubUrl: hub.url })) entries.push(e);
    const data = entries.find((e) => e.path === DATA_PATH)!;
    expect(data.lfs?.oid).toStrictEqual(createHash("sha256").update(dataBytes).digest("hex"));
    assert.equal(data.size, dataBytes.length);
    assert.ok(entries.some((e) => e.type === "directory" && e.path === "unet"));
    const vocab = entries.find((e) => e.path === "tokenizer/vocab.json")!;
    assert.equal(vocab.lfs, undefined);
    assert.equal(
      vocab.oid,
      createHash("sha1")
        .update(
          Buffer.concat([
            Buffer.from(`blob ${vocab.size}\0`),
            readFileSync(join(fixtureModel("sd15"), "tokenizer", "vocab.json")),
          ])
        )
        .digest("hex")
    );
  });

  it("answers paths-info and resolve as the client expects, with null for a missing file", async () => {
    const [info] = await pathsInfo({ repo, paths: [DATA_PATH, "nothing.json"], hubUrl: hub.url });
    assert.equal(info.path, DATA_PATH);
    assert.equal(info.lfs?.size, dataBytes.length);
    const download = await fileDownloadInfo({ repo, path: DATA_PATH, hubUrl: hub.url });
    assert.equal(download?.size, dataBytes.length);
    assert.ok(download?.url.startsWith(hub.cdnUrl), "the signed CDN address, as for CloudFront");
    assert.equal(await downloadFile({ repo, path: "nothing.json", hubUrl: hub.url }), null);
    const blob = await downloadFile({ repo, path: DATA_PATH, hubUrl: hub.url, xet: false });
    assert.ok(
      Buffer.from(await blob!.slice(1000, 2000).arrayBuffer()).equals(
        dataBytes.subarray(1000, 2000)
      )
    );
  });
});
