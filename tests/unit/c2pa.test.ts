// Content Credentials: manifests signed with node:crypto through @contentauth/c2pa-wasm, read back
// and validated by the same C2PA library (c2pa-rs), with the development and with an
// organisation's own certificate chain.
import { strict as assert } from "node:assert";
import * as x509 from "@peculiar/x509";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import sharp from "sharp";
import {
  ContentCredentials,
  CredentialsError,
  encodeWithProvenance,
  loadSigningCredentials,
  readContentCredentials,
  readProvenance,
  transcode,
  TRAINED_ALGORITHMIC_MEDIA,
  type GenerationInfo,
  type SigningCredentials,
} from "../../backend/provenance";
import { GENERATOR } from "../../backend/provenance/parameters";
import { organisationChain } from "../helpers/c2pa-chain";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "lumen-c2pa-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const info: GenerationInfo = {
  prompt: "a misty lake at sunrise",
  negativePrompt: "",
  steps: 4,
  sampler: "euler",
  guidance: 7,
  seed: 42,
  width: 64,
  height: 48,
  model: "lumen-landscapes",
};

function gradient(width = 64, height = 48) {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 251;
  return { width, height, pixels };
}

describe("Content Credentials", () => {
  let dataDir: string;
  let credentials: SigningCredentials;
  let cc: ContentCredentials;
  beforeAll(async () => {
    dataDir = tempDir();
    credentials = await loadSigningCredentials({ dataDir });
    cc = await ContentCredentials.create(credentials);
  });

  it("signs a generated PNG: c2pa.created, trainedAlgorithmicMedia, Lumen and its version, the model; XMP stays", async () => {
    const png = await encodeWithProvenance(gradient(), info, {
      format: "png",
      contentCredentials: cc,
      title: "g1-0.png",
    });
    const report = await readContentCredentials(png, {
      trustAnchors: credentials.developmentCaPem,
    });
    assert.ok(report);
    assert.equal(report.state, "Trusted");
    expect(report.failures).toStrictEqual([]);
    assert.equal(report.manifest.title, "g1-0.png");
    expect(report.manifest.actions).toStrictEqual([
      {
        action: "c2pa.created",
        digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
        softwareAgent: { name: "Lumen", version: GENERATOR.version },
        parameters: { model: "lumen-landscapes" },
      },
    ]);
    assert.equal(report.manifest.claimGenerator[0].name, "Lumen");
    assert.equal(report.manifest.signature.commonName, "Lumen development signer");
    assert.equal(report.manifest.signature.alg, "Es256");
    const xmp = await readProvenance(png);
    assert.equal(xmp.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    assert.match(xmp.parameters ?? "", /Model: lumen-landscapes/);
    expect(
      await sharp(png)
        .metadata()
        .then((m) => [m.format, m.width, m.height])
    ).toStrictEqual(["png", 64, 48]);
  });

  it("reads as valid but untrusted where no one trusts the development CA", async () => {
    const png = await encodeWithProvenance(gradient(), info, { contentCredentials: cc });
    const report = (await readContentCredentials(png))!;
    assert.equal(report.state, "Valid");
    expect(report.failures).toStrictEqual(["signingCredential.untrusted"]);
  });

  it("a changed pixel or a changed signature byte makes the manifest invalid", async () => {
    const png = await encodeWithProvenance(gradient(), info, { contentCredentials: cc });
    // Recompress the same file with one pixel changed: the data hash no longer matches.
    const { data, info: raw } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    data[0] ^= 0xff;
    const tampered = await cc.sign(await sharp(data, { raw }).png().toBuffer(), "png", {
      title: "x.png",
      model: "m",
    });
    const pixelsChanged = Buffer.from(png);
    // Swap the PNG's pixel data for the tampered file's, keeping the original manifest.
    const idat = (b: Buffer) => [b.indexOf("IDAT") - 4, b.indexOf("IEND") - 4] as const;
    const [start, end] = idat(pixelsChanged);
    const [tStart, tEnd] = idat(tampered);
    const forged = Buffer.concat([
      pixelsChanged.subarray(0, start),
      tampered.subarray(tStart, tEnd),
      pixelsChanged.subarray(end),
    ]);
    const report = (await readContentCredentials(forged, {
      trustAnchors: credentials.developmentCaPem,
    }))!;
    assert.equal(report.state, "Invalid");
    assert.ok(report.failures.includes("assertion.dataHash.mismatch"), report.failures.join());

    // The COSE_Sign1 ends with: detached payload (nil, 0xf6), then the 64-byte ES256 signature (0x58 0x40 …).
    const manifestStart = png.indexOf("caBX");
    assert.ok(manifestStart > 0, "the manifest is in a caBX chunk");
    const signatureAt = png.indexOf(Buffer.from([0xf6, 0x58, 0x40]), manifestStart) + 3;
    assert.ok(signatureAt > manifestStart);
    const broken = Buffer.from(png);
    broken[signatureAt + 10] ^= 0x01;
    const reread = (await readContentCredentials(broken, {
      trustAnchors: credentials.developmentCaPem,
    }))!;
    assert.equal(reread.state, "Invalid");
    assert.ok(
      reread.failures.some((code) => code.startsWith("claimSignature.")),
      reread.failures.join()
    );
  });

  it("signs JPEG and WebP too", async () => {
    for (const format of ["jpeg", "webp"] as const) {
      const bytes = await encodeWithProvenance(gradient(), info, {
        format,
        contentCredentials: cc,
      });
      const report = (await readContentCredentials(bytes, {
        trustAnchors: credentials.developmentCaPem,
      }))!;
      assert.equal(report.state, "Trusted", format);
      assert.equal(report.manifest.actions[0].action, "c2pa.created");
      assert.equal((await sharp(bytes).metadata()).format, format);
      assert.equal(
        (await readProvenance(bytes)).digitalSourceType,
        TRAINED_ALGORITHMIC_MEDIA,
        `${format} keeps its XMP`
      );
    }
  });

  it("image-to-image: c2pa.opened of the source as parentOf ingredient, then c2pa.edited by the model", async () => {
    const source = await sharp({
      create: { width: 32, height: 32, channels: 3, background: "#c84" },
    })
      .jpeg()
      .toBuffer();
    const png = await encodeWithProvenance(gradient(), info, {
      contentCredentials: cc,
      source: { bytes: source, format: "jpeg", title: "holiday.jpg" },
    });
    const report = (await readContentCredentials(png, {
      trustAnchors: credentials.developmentCaPem,
    }))!;
    assert.equal(report.state, "Trusted");
    expect(report.manifest.actions.map((a) => a.action)).toStrictEqual([
      "c2pa.opened",
      "c2pa.edited",
    ]);
    assert.equal(report.manifest.actions[1].digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    expect(report.manifest.actions[1].parameters).toStrictEqual({ model: "lumen-landscapes" });
    expect(report.manifest.ingredients).toStrictEqual([
      { title: "holiday.jpg", relationship: "parentOf", activeManifest: undefined },
    ]);
  });

  it("a converted copy names the stored original, whose manifest comes along", async () => {
    const png = await encodeWithProvenance(gradient(), info, {
      contentCredentials: cc,
      title: "g2-0.png",
    });
    const jpeg = await transcode(png, {
      format: "jpeg",
      width: 32,
      height: 24,
      contentCredentials: cc,
      title: "g2-0.jpg",
      originalTitle: "g2-0.png",
    });
    const report = (await readContentCredentials(jpeg, {
      trustAnchors: credentials.developmentCaPem,
    }))!;
    assert.equal(report.state, "Trusted");
    expect(report.manifest.actions.map((a) => a.action)).toStrictEqual([
      "c2pa.opened",
      "c2pa.transcoded",
    ]);
    const [original] = report.manifest.ingredients;
    assert.equal(original.title, "g2-0.png");
    assert.equal(original.relationship, "parentOf");
    const originalManifest = report.manifests[original.activeManifest!] as {
      assertions: { data: { actions: { action: string; digitalSourceType?: string }[] } }[];
    };
    assert.equal(
      originalManifest.assertions[0].data.actions[0].digitalSourceType,
      TRAINED_ALGORITHMIC_MEDIA
    );
    assert.equal((await readProvenance(jpeg)).digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
  });

  it("a file without Content Credentials reads as none", async () => {
    assert.equal(
      await readContentCredentials(await encodeWithProvenance(gradient(), info)),
      undefined
    );
  });

  it("makes the development certificate once and reuses it; it has the C2PA signing profile", async () => {
    const again = await loadSigningCredentials({ dataDir });
    expect(again.chain).toStrictEqual(credentials.chain);
    assert.equal(again.development, true);
    const [leaf, ca] = credentials.chain.map(
      (der) => new x509.X509Certificate(new Uint8Array(der))
    );
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(
      leaf.getExtension(x509.KeyUsagesExtension)?.usages,
      x509.KeyUsageFlags.digitalSignature
    );
    expect([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])]).toStrictEqual([
      x509.ExtendedKeyUsage.emailProtection,
      "1.3.6.1.5.5.7.3.36",
    ]);
    assert.equal(leaf.issuer, ca.subject);
    assert.notEqual(leaf.subject, leaf.issuer, "not self-signed");
    assert.ok(leaf.getExtension(x509.AuthorityKeyIdentifierExtension));
    assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.match(
      readFileSync(join(dataDir, "c2pa", "dev-signer-key.pem"), "utf8"),
      /BEGIN PRIVATE KEY/
    );
    assert.equal(
      statSync(join(dataDir, "c2pa", "dev-signer-key.pem")).mode & 0o777,
      0o600,
      "only its owner reads the key"
    );
  });

  it("makes a new development certificate when the old one has under 30 days left", async () => {
    const soon = await loadSigningCredentials({
      dataDir,
      now: new Date(Date.now() + 340 * 86_400_000),
    });
    expect(soon.chain[0]).not.toStrictEqual(credentials.chain[0]);
  });

  it("signs with the organisation's own chain, which validators trust when they trust its CA", async () => {
    const { keyPath, certPath, caPem } = await organisationChain(tempDir());
    const own = await loadSigningCredentials({ keyPath, certPath, dataDir: tempDir() });
    assert.equal(own.development, false);
    assert.equal(own.algorithm, "es384");
    const signed = await encodeWithProvenance(gradient(), info, {
      contentCredentials: await ContentCredentials.create(own),
    });
    const report = (await readContentCredentials(signed, { trustAnchors: caPem }))!;
    assert.equal(report.state, "Trusted");
    assert.equal(report.manifest.signature.commonName, "Contoso Lumen");
    assert.equal(report.manifest.signature.alg, "Es384");
  });

  it("refuses an organisation's chain that cannot sign C2PA, saying why", async () => {
    const good = await organisationChain(tempDir(), { curve: "P-256" });
    const other = await organisationChain(tempDir(), { curve: "P-256" });
    await assert.rejects(
      loadSigningCredentials({
        keyPath: other.keyPath,
        certPath: good.certPath,
        dataDir: tempDir(),
      }),
      /does not belong to the first certificate/
    );
    const ca = await organisationChain(tempDir(), { leafIsCa: true });
    await assert.rejects(
      loadSigningCredentials({ keyPath: ca.keyPath, certPath: ca.certPath, dataDir: tempDir() }),
      /is a CA/
    );
    await assert.rejects(
      loadSigningCredentials({ keyPath: good.keyPath, dataDir: tempDir() }),
      CredentialsError
    );
    await assert.rejects(
      loadSigningCredentials({
        keyPath: "/no/key.pem",
        certPath: good.certPath,
        dataDir: tempDir(),
      }),
      /does not exist/
    );
    const notPem = join(tempDir(), "key.pem");
    writeFileSync(notPem, "hello");
    await assert.rejects(
      loadSigningCredentials({ keyPath: notPem, certPath: good.certPath, dataDir: tempDir() }),
      /not a PEM private key/
    );
  });
});
