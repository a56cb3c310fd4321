// The `lumen` command. Every failure is one line on stderr and a non-zero exit.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { writeFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import {
  CancelledError,
  DEFAULT_MODEL,
  decoderChoices,
  devices,
  formatFromPath,
  generate,
  listModels,
  loadModel,
  ModelError,
  modelsDir,
  randomSeed,
  RequestError,
  resolveModelDir,
  resolveRequest,
  schedulerNames,
  unknownWordsNotice,
  type DecoderChoice,
  type Device,
  type SchedulerName,
} from "./engine";
import { loadTokenizer } from "./engine/tokenizer";
import { loadConfig } from "./config";
import {
  encodeWithProvenance,
  generationInfo,
  openContentCredentials,
  type ContentCredentials,
} from "./provenance";
import { GENERATOR } from "./provenance/parameters";
import { join, resolve } from "node:path";

function int(name: string) {
  return (value: string) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be an integer`);
    return Number(value);
  };
}

function float(name: string) {
  return (value: string) => {
    const v = Number(value);
    if (value.trim() === "" || !Number.isFinite(v))
      throw new InvalidArgumentError(`${name} must be a number`);
    return v;
  };
}

/** a.png → a.png for one image; a-1.png, a-2.png … for several. */
export function outputPaths(out: string, n: number): string[] {
  if (n === 1) return [out];
  const ext = extname(out);
  const stem = ext ? out.slice(0, -ext.length) : out;
  return Array.from({ length: n }, (_, i) => `${stem}-${i + 1}${ext || ".png"}`);
}

const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) + " ms";

interface GenerateFlags {
  model?: string;
  prompt: string;
  negative?: string;
  steps?: number;
  guidance?: number;
  guidanceStart?: number;
  seed?: number;
  width?: number;
  height?: number;
  n: number;
  scheduler?: SchedulerName;
  device: Device;
  threads?: number;
  decoder: DecoderChoice;
  out?: string;
  quiet?: boolean;
}

/**
 * The service's signer for the files the command writes: the same configuration (LUMEN_C2PA_KEY
 * and LUMEN_C2PA_CERT, or the development certificate under LUMEN_DATA_DIR/c2pa/).
 */
async function contentCredentials(): Promise<{ signer: ContentCredentials; dataDir: string }> {
  const config = loadConfig();
  return { signer: await openContentCredentials(config), dataDir: config.dataDir };
}

async function generateCommand(flags: GenerateFlags): Promise<void> {
  const started = performance.now();
  const seed = flags.seed ?? randomSeed();
  const quiet = flags.quiet || !process.stderr.isTTY;
  // Made while the model loads; awaited before denoising, so a bad key stops the run early.
  const credentials = contentCredentials();
  credentials.catch(() => undefined); // reported where it is awaited, unless the model fails first
  const model = await loadModel(resolveModelDir(flags.model), {
    device: flags.device,
    threads: flags.threads,
    decoder: flags.decoder,
    log: (m) => process.stderr.write(`lumen: ${m}\n`),
  });
  const loadMs = performance.now() - started;
  const notice = unknownWordsNotice(model, flags.prompt);
  if (notice) process.stderr.write(`lumen: ${notice.message}\n`);
  // Only a terminal shows the bar, so only then is its library loaded.
  const cliProgress = quiet ? undefined : (await import("cli-progress")).default;
  const bar = !cliProgress
    ? undefined
    : new cliProgress.SingleBar(
        {
          format: "denoising [{bar}] {value}/{total} steps",
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic
      );
  try {
    const { signer, dataDir } = await credentials;
    // The model's defaults filled in once; the images' provenance names what ran.
    const request = resolveRequest(model, {
      prompt: flags.prompt,
      negativePrompt: flags.negative,
      steps: flags.steps,
      guidance: flags.guidance,
      guidanceStart: flags.guidanceStart,
      seed,
      width: flags.width,
      height: flags.height,
      n: flags.n,
      scheduler: flags.scheduler,
    });
    const { width, height } = request;
    const result = await generate(model, request, {
      onStep: ({ step, steps }) => {
        if (step === 1) bar?.start(steps, 0);
        bar?.update(step);
      },
    });
    bar?.stop();
    const paths = outputPaths(flags.out ?? `lumen-${seed}.png`, result.images.length);
    const encodeStart = performance.now();
    for (let i = 0; i < paths.length; i++) {
      // The same provenance as the service writes: XMP, for PNG the parameters text, and signed
      // Content Credentials (c2pa.created by the model).
      const info = generationInfo(model, request, { seed: result.seeds[i], width, height });
      const bytes = await encodeWithProvenance(result.images[i], info, {
        format: formatFromPath(paths[i]),
        width,
        height,
        contentCredentials: signer,
        title: basename(paths[i]),
      });
      await writeFile(paths[i], bytes);
    }
    const encodeMs = performance.now() - encodeStart;
    for (let i = 0; i < paths.length; i++)
      process.stdout.write(`${paths[i]}\tseed ${result.seeds[i]}\n`);
    const stages = Object.entries(result.timings.summary())
      .map(([k, v]) => `${k} ${fmtMs(v)}`)
      .join(", ");
    process.stderr.write(
      `lumen: ${model.name} on ${model.provider}, ${result.width}×${result.height}` +
        `${result.width !== width || result.height !== height ? ` upscaled to ${width}×${height}` : ""}; ` +
        `load ${fmtMs(loadMs)}, ${stages}, encode ${fmtMs(encodeMs)}\n`
    );
    if (signer.credentials.development) {
      process.stderr.write(
        `lumen: Content Credentials signed with the development certificate in ${join(dataDir, "c2pa")}: ` +
          "validators show them as untrusted; set LUMEN_C2PA_KEY and LUMEN_C2PA_CERT (docs/ADMIN.md)\n"
      );
    }
  } finally {
    bar?.stop();
    await model.release();
  }
}

async function tokenizeCommand(text: string, flags: { model?: string }): Promise<void> {
  const dir = resolveModelDir(flags.model);
  const tokenizer = await loadTokenizer(join(dir, "tokenizer"));
  process.stdout.write(JSON.stringify(tokenizer.encode(text)) + "\n");
}

const fmtBytes = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${Math.max(1, Math.round(n / 1e3))} kB`;

function modelsCommand(flags: { json?: boolean }): void {
  const models = listModels();
  if (flags.json) {
    process.stdout.write(JSON.stringify(models, null, 2) + "\n");
    return;
  }
  if (models.length === 0) {
    process.stdout.write(
      `no models in ${modelsDir()}; add one with: lumen models pull <owner/name>\n`
    );
    return;
  }
  const rows = models.map((m) => [
    m.name,
    m.kind,
    m.precision,
    fmtBytes(m.bytes),
    m.devices.join(",") || "none known",
    m.defaults
      ? `${m.defaults.steps ?? "?"} steps, guidance ${m.defaults.guidance ?? "?"}${m.defaults.guidanceStart ? ` from ${m.defaults.guidanceStart}` : ""}, ${m.defaults.scheduler ?? "euler"}`
      : "",
    m.nativeSize ? `${m.nativeSize[0]}×${m.nativeSize[1]}` : "",
    m.source ? `${m.source.repo}@${m.source.commit.slice(0, 7)}` : "",
  ]);
  const header = ["name", "family", "precision", "size", "devices", "defaults", "native", "source"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows])
    process.stdout.write(
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd() + "\n"
    );
}

async function pullCommand(ref: string, flags: { name?: string; quiet?: boolean }): Promise<void> {
  const { defaultCacheDir, hubEndpoint, pullModel } = await import("./hub");
  const say = (line: string) => process.stderr.write(`lumen: ${line}\n`);
  const quiet = flags.quiet || !process.stderr.isTTY;
  const cliProgress = quiet ? undefined : (await import("cli-progress")).default;
  const bars = cliProgress
    ? new cliProgress.MultiBar(
        {
          format: "{file} [{bar}] {percentage}% {done}/{size} {rate} {left}",
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic
      )
    : undefined;
  const log = (line: string) => (bars ? bars.log(`lumen: ${line}\n`) : say(line));
  let bar: ReturnType<NonNullable<typeof bars>["create"]> | undefined;
  // Bytes of each file on disk and their sum; this run's own downloading, sampled for the rate.
  const perFile = new Map<string, number>();
  let total = 0;
  let done = 0;
  let fetched = 0;
  const started = performance.now();
  const samples: Array<[number, number]> = [];
  const payload = (file: string) => {
    const now = performance.now();
    samples.push([now, fetched]);
    while (samples.length > 2 && now - samples[0][0] > 5000) samples.shift();
    const [t0, b0] = samples[0];
    // The rate of the last five seconds, once there is a second of it to go by.
    const rate = now - t0 >= 1000 ? ((fetched - b0) * 1000) / (now - t0) : 0;
    const left = rate > 0 ? (total - done) / rate : NaN;
    return {
      file: file.length > 28 ? "…" + file.slice(-27) : file.padEnd(28),
      done: fmtBytes(done),
      size: fmtBytes(total),
      rate: rate ? `${fmtBytes(rate)}/s` : "",
      left: Number.isFinite(left)
        ? `${Math.floor(left / 60)}m${String(Math.round(left % 60)).padStart(2, "0")}s left`
        : "",
    };
  };
  try {
    const result = await pullModel({
      ref,
      name: flags.name,
      modelsDir: modelsDir(),
      cacheDir: join(defaultCacheDir(), "downloads"),
      endpoint: hubEndpoint(),
      token: process.env.HF_TOKEN,
      onEvent: (e) => {
        if (e.type === "resolved") {
          total = e.bytes;
          log(
            `${e.repo}@${e.commit.slice(0, 12)} (${e.family}): ${e.files.length} files, ${fmtBytes(e.bytes)}` +
              (e.skipped.length
                ? `; leaving ${e.skipped.length} files the engine does not use (${fmtBytes(e.skipped.reduce((s, f) => s + f.size, 0))})`
                : "")
          );
          bar = bars?.create(total, 0, payload(""));
        } else if (e.type === "file") {
          if (!bars) say(`downloading ${e.path} (${fmtBytes(e.size)})`);
          perFile.set(e.path, 0);
        } else if (e.type === "resume") {
          // Bytes already on disk from an earlier run count as done, not as this run's download.
          if (e.from < e.size && (perFile.get(e.path) ?? 0) === 0)
            log(`resuming ${e.path} at ${fmtBytes(e.from)} of ${fmtBytes(e.size)}`);
          done += e.from - (perFile.get(e.path) ?? 0);
          perFile.set(e.path, e.from);
        } else if (e.type === "progress") {
          const delta = e.bytes - (perFile.get(e.path) ?? 0);
          fetched += delta;
          done += delta;
          perFile.set(e.path, e.bytes);
          bar?.update(done, payload(e.path));
        } else if (e.type === "retry") {
          log(`${e.path}: ${e.reason}; trying again (${e.attempt + 1})`);
        }
      },
    });
    bars?.stop();
    const seconds = (performance.now() - started) / 1000;
    say(`downloaded ${fmtBytes(fetched)} in ${seconds.toFixed(1)} s`);
    process.stdout.write(
      `installed ${result.name} (${result.repo}@${result.commit.slice(0, 12)}, ${result.family}, ${fmtBytes(result.bytes)}) in ${result.dir}\n` +
        (result.license
          ? `licence: ${result.license}; read it at ${hubEndpoint()}/${result.repo} before you use the model\n`
          : "") +
        "use it:\n" +
        `  npx lumen generate --model ${result.name} --prompt "a lighthouse at dusk" --out lighthouse.png\n` +
        `  LUMEN_MODEL=${result.name} npm start\n`
    );
  } finally {
    bars?.stop();
  }
}

async function removeCommand(name: string): Promise<void> {
  const { removeModel } = await import("./hub");
  const dir = modelsDir();
  // The embedded model ships in the repository's own models/ and is the service's default.
  const own = dir === resolve(join(import.meta.dirname, "..", "models"));
  const removed = removeModel(dir, name, { protect: own ? [DEFAULT_MODEL] : [] });
  process.stdout.write(`removed ${removed.name} (${fmtBytes(removed.bytes)}) from ${dir}\n`);
}

async function serveCommand(flags: {
  port?: number;
  http?: boolean;
  host?: string;
  role?: string;
  device?: string;
}): Promise<void> {
  const { loadConfig } = await import("./config");
  const { startServer } = await import("./server");
  const overrides: Record<string, unknown> = {};
  if (flags.port !== undefined) overrides.port = flags.port;
  if (flags.http) overrides.http = true;
  if (flags.host) overrides.host = flags.host;
  if (flags.role) overrides.role = flags.role;
  if (flags.device) overrides.device = flags.device;
  const config = loadConfig(overrides);
  const server = await startServer(config);
  const role = config.role === "all" ? "" : `, role ${config.role}`;
  process.stderr.write(
    `lumen: serving on ${server.url} (model ${config.model}${role}); Ctrl+C stops\n`
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write("lumen: stopping: finishing running generations\n");
      server.close().then(resolve, resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

interface ManifestFlags {
  format: "xml" | "json";
  url: string;
  id?: string;
  version?: string;
  out?: string;
  clientId?: string;
  resource?: string;
}

async function manifestCommand(flags: ManifestFlags): Promise<void> {
  const { mkdtemp, readFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const root = join(import.meta.dirname, "..");
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  const clientId = flags.clientId ?? process.env.LUMEN_AUTH_CLIENT_ID;
  const resource = flags.resource ?? process.env.LUMEN_AUTH_AUDIENCE?.split(",")[0]?.trim();
  if (clientId && !resource)
    throw new RequestError("sign-in needs the API's resource (--resource or LUMEN_AUTH_AUDIENCE)");
  const signIn = clientId ? { clientId, resource: resource! } : undefined;
  // Without --out the manifest goes to standard output and the summary to standard error.
  const report = (line: string) => (flags.out ? process.stdout : process.stderr).write(line);
  let summary: string;

  if (flags.format === "json") {
    const { appPackage, productionAppManifest } = await import("./manifest/unified");
    const template = JSON.parse(await readFile(join(root, "manifest.json"), "utf8"));
    const manifest = productionAppManifest(template, {
      url: flags.url,
      id: flags.id,
      version: flags.version ?? pkg.version,
      signIn,
    });
    if (flags.out?.toLowerCase().endsWith(".zip")) {
      // The icons named by the development manifest, next to it.
      const [color, outline] = await Promise.all([
        readFile(join(root, template.icons.color)),
        readFile(join(root, template.icons.outline)),
      ]);
      await writeFile(flags.out, await appPackage(manifest, { color, outline }));
    } else if (flags.out) {
      await writeFile(flags.out, `${JSON.stringify(manifest, null, 2)}\n`);
    } else {
      process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    }
    summary = `app id ${manifest.id}, version ${manifest.version}`;
  } else {
    if (flags.out?.toLowerCase().endsWith(".zip"))
      throw new RequestError("an app package (.zip) holds the JSON manifest: add --format json");
    const { productionManifest } = await import("./manifest/production");
    const { validateManifest } = await import("./manifest/validate");
    const xml = productionManifest(await readFile(join(root, "manifest.xml"), "utf8"), {
      url: flags.url,
      id: flags.id,
      version: flags.version ?? `${pkg.version}.0`,
      signIn,
    });
    // Validated in a scratch folder first, so a manifest that fails leaves --out untouched.
    const scratch = await mkdtemp(join(tmpdir(), "lumen-manifest-"));
    try {
      const file = join(scratch, "manifest.xml");
      await writeFile(file, xml);
      const result = validateManifest(file);
      if (!result.valid)
        throw new RequestError(
          `the generated manifest does not validate: ${result.output.split("\n")[0]}`
        );
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    if (flags.out) await writeFile(flags.out, xml);
    else process.stdout.write(xml);
    summary = `add-in id ${/<Id>([^<]+)<\/Id>/.exec(xml)![1]}, version ${/<Version>([^<]+)<\/Version>/.exec(xml)![1]}`;
  }
  report(
    `${flags.out ?? "manifest"}: valid ${flags.format.toUpperCase()} manifest for ${flags.url}\n` +
      `  ${summary}, sign-in ${clientId ? `on (client ${clientId})` : "off"}\n` +
      "  next: Microsoft 365 admin center → Settings → Integrated apps → Upload custom apps (see docs/ADMIN.md)\n"
  );
}

export function buildProgram(): Command {
  const program = new Command("lumen")
    .description("Self-hosted text-to-image generation")
    .version(GENERATOR.version)
    // `lumen --version` is the program's; `lumen manifest --version 1.2.0.0` is the manifest's.
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s.startsWith("error:") ? `lumen: ${s}` : s),
    });

  program
    .command("generate")
    .description("generate images from a prompt")
    .option("-m, --model <dir>", "model folder or name under models/ (default: the embedded model)")
    .requiredOption("-p, --prompt <text>", "what to draw")
    .option("--negative <text>", "what to avoid (used when guidance > 1)")
    .option("--steps <n>", "denoising steps (default: the model's)", int("--steps"))
    .option(
      "--guidance <g>",
      "classifier-free guidance scale; ≤ 1 runs one UNet pass",
      float("--guidance")
    )
    .option(
      "--guidance-start <f>",
      "fraction of the steps before guidance starts (default: the model's)",
      float("--guidance-start")
    )
    .option("--seed <s>", "seed of the first image (default: random)", int("--seed"))
    .option("--width <w>", "width in pixels", int("--width"))
    .option("--height <h>", "height in pixels", int("--height"))
    .option("--n <k>", "number of images", int("--n"), 1)
    .addOption(new Option("--scheduler <name>", "sampler").choices(schedulerNames))
    .addOption(
      new Option("--device <device>", "execution provider").choices(devices).default("auto")
    )
    .option("--threads <n>", "CPU threads per operator", int("--threads"))
    .addOption(
      new Option(
        "--decoder <which>",
        "latents → pixels: the full VAE, or the folder's tiny TAESD decoder (auto: tiny when present)"
      )
        .choices(decoderChoices)
        .default("auto")
    )
    .option("-o, --out <file>", "output file (.png, .jpg or .webp); several images get -1, -2 …")
    .option("-q, --quiet", "no progress bar")
    .action(generateCommand);

  program
    .command("tokenize")
    .description("print a model's input_ids for a text as JSON")
    .argument("<text>")
    .option("-m, --model <dir>", "model folder or name")
    .action(tokenizeCommand);

  program
    .command("serve")
    .description("start the HTTP(S) service (config: LUMEN_* variables or LUMEN_CONFIG file)")
    .option("--port <n>", "port (default 3000; 0 picks a free one)", int("--port"))
    .option("--host <host>", "interface to listen on (default localhost)")
    .option("--http", "plain HTTP, for tests and behind a TLS-terminating proxy")
    .addOption(
      new Option(
        "--role <role>",
        "all: API and jobs in this process; api / worker: one side of a shared Redis queue (LUMEN_REDIS_URL)"
      ).choices(["all", "api", "worker"])
    )
    .addOption(
      new Option(
        "--device <device>",
        "execution provider (default LUMEN_DEVICE or auto; one worker per GPU: CUDA_VISIBLE_DEVICES)"
      ).choices(devices)
    )
    .action(serveCommand);

  program
    .command("manifest")
    .description(
      "write a production add-in manifest (XML) or app manifest / app package (JSON) for your host, validated offline"
    )
    .addOption(
      new Option(
        "--format <format>",
        "xml: the add-in-only manifest; json: the unified app manifest"
      )
        .choices(["xml", "json"])
        .default("xml")
    )
    .requiredOption(
      "--url <url>",
      "https address the add-in is served from, e.g. https://images.example.org"
    )
    .option("--id <guid>", "add-in id (default: derived from --url, stable across regenerations)")
    .option(
      "--version <version>",
      "x.y.z.w (xml) or x.y.z (json); bump it for every update (default: from the package version)"
    )
    .option(
      "--client-id <guid>",
      "Entra ID app registration of the add-in, to turn on sign-in (default: LUMEN_AUTH_CLIENT_ID)"
    )
    .option(
      "--resource <uri>",
      "the API's application ID URI (default: first of LUMEN_AUTH_AUDIENCE)"
    )
    .option(
      "-o, --out <file>",
      "where to write it (default: standard output); with --format json, a .zip is the app package"
    )
    .action(manifestCommand);

  const models = program
    .command("models")
    .description("list the installed models (models/ or LUMEN_MODELS_DIR); pull or remove one")
    .option("--json", "machine-readable output")
    .action(modelsCommand);
  models
    .command("pull")
    .description(
      "download a diffusers ONNX model from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN) into models/"
    )
    .argument("<repo>", "owner/name, optionally @revision (branch, tag or commit)")
    .option("--name <name>", "folder name under models/ (default: the repository's name)")
    .option("-q, --quiet", "no progress bar")
    .action(pullCommand);
  models
    .command("rm")
    .description("remove an installed model")
    .argument("<name>")
    .action(removeCommand);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const known =
      e instanceof ModelError ||
      e instanceof RequestError ||
      e instanceof CancelledError ||
      ["ConfigError", "CredentialsError", "ManifestError", "PullError", "StorageError"].includes(
        (e as Error)?.name
      );
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`lumen: error: ${known ? message : message.split("\n")[0]}\n`);
    return 1;
  }
}
