// Content Credentials: a signed C2PA manifest in every image Lumen writes, made and read with
// @contentauth/c2pa-wasm (c2pa-rs compiled to WebAssembly; the native @contentauth/c2pa-node
// needs Node 22 and a binary download). A generated picture's manifest says c2pa.created with the
// IPTC digital source type trainedAlgorithmicMedia, Lumen and its version as software agent, and
// the model; a picture made from another says c2pa.opened (the source, as parentOf ingredient)
// then c2pa.edited; a converted or resized copy says c2pa.opened (the stored original, whose own
// manifest comes along as its ingredient) then c2pa.transcoded.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { initSync, WasmBuilder, WasmReader } from "@contentauth/c2pa-wasm";
import type { ImageFormat } from "../../contract";
import { coseReserveSize, coseSign1 } from "./c2pa-cose";
import { loadSigningCredentials, type SigningCredentials } from "./c2pa-credentials";
import { GENERATOR } from "./parameters";
import { TRAINED_ALGORITHMIC_MEDIA } from "./xmp";

export type C2paFormat = ImageFormat;
const MIME: Record<C2paFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
};

/**
 * The wasm builder reads its input through a Blob and the Web Worker API FileReaderSync, which
 * Node lacks. Bytes already in memory are given to it as this blob, which the FileReaderSync below
 * (installed only where none exists) reads synchronously, as the Web API does.
 */
class BytesBlob {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    // A plain view: a Buffer's slice() shares memory (and often a larger pool) instead of copying.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get size(): number {
    return this.bytes.byteLength;
  }
  slice(start = 0, end = this.size): BytesBlob {
    return new BytesBlob(this.bytes.subarray(start, end));
  }
}

class BytesFileReaderSync {
  readAsArrayBuffer(blob: unknown): ArrayBuffer {
    if (!(blob instanceof BytesBlob)) throw new TypeError("only in-memory bytes can be read here");
    return blob.bytes.slice().buffer;
  }
}

let ready = false;
function initialise(): void {
  if (ready) return;
  const g = globalThis as { FileReaderSync?: unknown };
  g.FileReaderSync ??= BytesFileReaderSync;
  const require = createRequire(import.meta.url);
  initSync({ module: readFileSync(require.resolve("@contentauth/c2pa-wasm/c2pa.wasm")) });
  ready = true;
}

const asBlob = (bytes: Uint8Array) => new BytesBlob(bytes) as unknown as Blob;
const softwareAgent = { name: GENERATOR.name, version: GENERATOR.version };

/** What a manifest says about one picture. */
export interface Claim {
  /** The file's name, e.g. "a1b2-0.png". */
  title: string;
  /** The model that drew it. */
  model: string;
  /** The picture it was made from (image-to-image), carried as its parentOf ingredient. */
  source?: { bytes: Uint8Array; format: C2paFormat; title: string };
}

export class ContentCredentials {
  private readonly reserveSize: number;

  private constructor(readonly credentials: SigningCredentials) {
    this.reserveSize = coseReserveSize(credentials);
  }

  /** Loads the C2PA library and proves the credentials by signing and reading back a tiny PNG. */
  static async create(credentials: SigningCredentials): Promise<ContentCredentials> {
    initialise();
    const cc = new ContentCredentials(credentials);
    const probe = await cc.sign(ONE_PIXEL_PNG, "png", { title: "probe.png", model: "probe" });
    const report = await readContentCredentials(probe);
    const failures = report?.failures.filter((code) => code !== "signingCredential.untrusted") ?? [
      "no manifest",
    ];
    if (!report || report.state === "Invalid" || failures.length) {
      throw new Error(
        `Content Credentials signed with ${credentials.subject} do not validate: ${failures.join(", ")}`
      );
    }
    return cc;
  }

  /** The picture with a manifest: c2pa.created by the model, or c2pa.opened + c2pa.edited of `claim.source`. */
  async sign(bytes: Uint8Array, format: C2paFormat, claim: Claim): Promise<Buffer> {
    const drawn = {
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      softwareAgent,
      parameters: { model: claim.model },
    };
    const actions = claim.source
      ? [
          { action: "c2pa.opened", parameters: { ingredientIds: ["source"] } },
          { action: "c2pa.edited", ...drawn },
        ]
      : [{ action: "c2pa.created", ...drawn }];
    const ingredient = claim.source && {
      ...claim.source,
      json: { title: claim.source.title, relationship: "parentOf", label: "source" },
    };
    return this.build(bytes, format, claim.title, actions, ingredient);
  }

  /** A converted or resized copy of a signed original: c2pa.opened (the original) + c2pa.transcoded. */
  async signCopy(
    bytes: Uint8Array,
    format: C2paFormat,
    title: string,
    original: { bytes: Uint8Array; format: C2paFormat; title: string }
  ): Promise<Buffer> {
    const actions = [
      { action: "c2pa.opened", parameters: { ingredientIds: ["original"] } },
      { action: "c2pa.transcoded", softwareAgent },
    ];
    return this.build(bytes, format, title, actions, {
      ...original,
      json: { title: original.title, relationship: "parentOf", label: "original" },
    });
  }

  private async build(
    bytes: Uint8Array,
    format: C2paFormat,
    title: string,
    actions: object[],
    ingredient?: { bytes: Uint8Array; format: C2paFormat; json: object }
  ): Promise<Buffer> {
    const definition = {
      claim_generator_info: [softwareAgent],
      title,
      format: MIME[format],
      assertions: [{ label: "c2pa.actions.v2", data: { actions } }],
    };
    const builder = WasmBuilder.fromJson(JSON.stringify(definition));
    try {
      if (ingredient)
        await builder.addIngredientFromBlob(
          JSON.stringify(ingredient.json),
          MIME[ingredient.format],
          asBlob(ingredient.bytes)
        );
      const signer = {
        alg: this.credentials.algorithm,
        reserveSize: this.reserveSize,
        sign: async (claimBytes: Uint8Array) =>
          coseSign1(this.credentials, claimBytes, this.reserveSize) as Uint8Array<ArrayBuffer>,
      };
      return Buffer.from(await builder.sign(signer, [], MIME[format], asBlob(bytes)));
    } finally {
      builder.free();
    }
  }
}

/**
 * The signer a configuration names, for the service and the `lumen` command alike: the
 * organisation's key and chain (LUMEN_C2PA_KEY, LUMEN_C2PA_CERT), or else the development ones
 * under <dataDir>/c2pa/, made on first use.
 */
export async function openContentCredentials(config: {
  c2paKey?: string;
  c2paCert?: string;
  dataDir: string;
}): Promise<ContentCredentials> {
  const credentials = await loadSigningCredentials({
    keyPath: config.c2paKey,
    certPath: config.c2paCert,
    dataDir: config.dataDir,
  });
  return ContentCredentials.create(credentials);
}

/** A manifest store as read back: the validation verdict and the active manifest. */
export interface C2paReport {
  /** "Trusted": valid and signed by a trusted CA; "Valid": valid, signer unknown; "Invalid". */
  state: "Trusted" | "Valid" | "Invalid";
  /** Failure codes of the active manifest, e.g. signingCredential.untrusted, assertion.dataHash.mismatch. */
  failures: string[];
  manifest: {
    title?: string;
    claimGenerator: { name: string; version?: string }[];
    /** The c2pa.actions(.v2) assertion's actions. */
    actions: {
      action: string;
      digitalSourceType?: string;
      softwareAgent?: { name: string; version?: string } | string;
      parameters?: Record<string, unknown>;
    }[];
    ingredients: { title?: string; relationship?: string; activeManifest?: string }[];
    signature: { alg?: string; issuer?: string; commonName?: string };
  };
  /** Every manifest in the store by label (ingredients' own manifests included). */
  manifests: Record<string, unknown>;
}

function formatOf(bytes: Uint8Array): C2paFormat {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (Buffer.from(bytes.subarray(8, 12)).toString("latin1") === "WEBP") return "webp";
  throw new Error("not a PNG, JPEG or WebP file");
}

interface ManifestJson {
  title?: string;
  claim_generator_info?: { name: string; version?: string }[];
  assertions?: { label: string; data: { actions?: C2paReport["manifest"]["actions"] } }[];
  ingredients?: { title?: string; relationship?: string; active_manifest?: string }[];
  signature_info?: { alg?: string; issuer?: string; common_name?: string };
}

/**
 * Reads and validates a file's Content Credentials; undefined when it has none. `trustAnchors`
 * (PEM) are the CAs to trust; without them every signer is untrusted and a valid manifest is "Valid".
 */
export async function readContentCredentials(
  bytes: Uint8Array,
  options: { trustAnchors?: string } = {}
): Promise<C2paReport | undefined> {
  initialise();
  const context = options.trustAnchors
    ? JSON.stringify({
        trust: { trust_anchors: options.trustAnchors },
        verify: { verify_trust: true },
      })
    : undefined;
  let reader: WasmReader;
  try {
    reader = await WasmReader.fromBytes(MIME[formatOf(bytes)], bytes, context);
  } catch (e) {
    if (/JumbfNotFound|no JUMBF|not found/i.test(String(e))) return undefined;
    throw e;
  }
  try {
    const store = JSON.parse(reader.json()) as {
      active_manifest: string;
      manifests: Record<string, ManifestJson>;
      validation_state: C2paReport["state"];
      validation_results?: { activeManifest?: { failure?: { code: string }[] } };
    };
    const active = store.manifests[store.active_manifest];
    const actions =
      active.assertions?.find((a) => a.label.startsWith("c2pa.actions"))?.data.actions ?? [];
    return {
      state: store.validation_state,
      failures: (store.validation_results?.activeManifest?.failure ?? []).map((f) => f.code),
      manifest: {
        title: active.title,
        claimGenerator: active.claim_generator_info ?? [],
        actions,
        ingredients: (active.ingredients ?? []).map((i) => ({
          title: i.title,
          relationship: i.relationship,
          activeManifest: i.active_manifest,
        })),
        signature: {
          alg: active.signature_info?.alg,
          issuer: active.signature_info?.issuer,
          commonName: active.signature_info?.common_name,
        },
      },
      manifests: store.manifests,
    };
  } finally {
    reader.free();
  }
}

/** A 1×1 PNG for the start-up check. */
const ONE_PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC",
  "base64"
);
