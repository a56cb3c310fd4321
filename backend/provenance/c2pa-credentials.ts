// The key and certificate chain that sign Content Credentials: the organisation's own (a PEM key
// and a PEM chain, signing certificate first), or else a development CA and signing certificate
// made on first start under <data>/c2pa/. C2PA validators accept only end-entity certificates
// of the C2PA profile (C2PA 2.x, "Certificate profile"): not a CA, key usage digitalSignature,
// an extended key usage such as emailProtection or documentSigning, issued by a CA (not
// self-signed), with subject and authority key identifiers. The development ones follow it, but
// no one trusts their CA, so validators show such credentials as untrusted (valid signature,
// unknown signer).
import * as x509 from "@peculiar/x509";
import { createPrivateKey, webcrypto, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { C2paAlgorithm, CoseSigningKey } from "./c2pa-cose";

export interface SigningCredentials extends CoseSigningKey {
  /** A development certificate Lumen made itself: valid signatures, untrusted signer. */
  development: boolean;
  /** The signing certificate's subject, for the log. */
  subject: string;
  notAfter: Date;
  /** The development CA (PEM), so tests can trust it; undefined for the organisation's own chain. */
  developmentCaPem?: string;
}

export class CredentialsError extends Error {
  override name = "CredentialsError";
}

const ID_KP_DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36";
const DAY_MS = 86_400_000;
const DEV_FILES = { ca: "dev-ca.pem", chain: "dev-signer-chain.pem", key: "dev-signer-key.pem" };

function algorithmOf(key: KeyObject, where: string): C2paAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = { prime256v1: "es256", secp384r1: "es384", secp521r1: "es512" }[
        details.namedCurve ?? ""
      ] as C2paAlgorithm | undefined;
      if (!curve)
        throw new CredentialsError(
          `${where}: the EC curve ${details.namedCurve} is not one C2PA signs with (P-256, P-384, P-521)`
        );
      return curve;
    }
    case "rsa":
    case "rsa-pss":
      if ((details.modulusLength ?? 0) < 2048)
        throw new CredentialsError(`${where}: an RSA key needs at least 2048 bits for C2PA`);
      return "ps256";
    case "ed25519":
      return "ed25519";
    default:
      throw new CredentialsError(
        `${where}: a ${key.asymmetricKeyType} key cannot sign C2PA manifests (use EC P-256/384/521, RSA or Ed25519)`
      );
  }
}

/** The PEM certificates of a file, in order. */
function pemCertificates(text: string): X509Certificate[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new X509Certificate(pem)
  );
}

/** What keeps a signing certificate from the C2PA profile, in words; undefined when nothing does. */
function profileProblem(leaf: x509.X509Certificate): string | undefined {
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca)
    return "is a CA; C2PA needs an end-entity signing certificate first, then its issuers";
  const usage = leaf.getExtension(x509.KeyUsagesExtension);
  if (!usage || !(usage.usages & x509.KeyUsageFlags.digitalSignature))
    return "lacks the key usage digitalSignature that C2PA requires";
  const extended = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  if (!extended || extended.usages.length === 0)
    return "lacks an extended key usage (C2PA accepts e.g. emailProtection or documentSigning)";
  if (leaf.subject === leaf.issuer)
    return "is self-signed; C2PA needs a signing certificate issued by a CA";
  return undefined;
}

/** The organisation's key and chain, checked so that a mistake stops the start, not every signature. */
function loadOwn(keyPath: string, certPath: string, now: Date): SigningCredentials {
  for (const path of [keyPath, certPath])
    if (!existsSync(path))
      throw new CredentialsError(`Content Credentials: ${path} does not exist`);
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(keyPath));
  } catch (e) {
    throw new CredentialsError(
      `Content Credentials: ${keyPath} is not a PEM private key (${(e as Error).message})`
    );
  }
  let certificates: X509Certificate[];
  try {
    certificates = pemCertificates(readFileSync(certPath, "utf8"));
  } catch (e) {
    throw new CredentialsError(
      `Content Credentials: ${certPath} holds a certificate that cannot be read (${(e as Error).message})`
    );
  }
  if (certificates.length === 0)
    throw new CredentialsError(`Content Credentials: ${certPath} holds no PEM certificate`);
  const [leaf] = certificates;
  if (!leaf.checkPrivateKey(key))
    throw new CredentialsError(
      `Content Credentials: the key in ${keyPath} does not belong to the first certificate of ${certPath}`
    );
  const problem = profileProblem(new x509.X509Certificate(leaf.raw));
  if (problem)
    throw new CredentialsError(
      `Content Credentials: the first certificate of ${certPath} ${problem}`
    );
  const notAfter = new Date(leaf.validTo);
  if (notAfter < now || new Date(leaf.validFrom) > now) {
    throw new CredentialsError(
      `Content Credentials: the signing certificate in ${certPath} is valid from ${leaf.validFrom} to ${leaf.validTo}, not now`
    );
  }
  return {
    algorithm: algorithmOf(key, keyPath),
    key,
    chain: certificates.map((c) => c.raw),
    development: false,
    subject: leaf.subject.replace(/\n/g, ", "),
    notAfter,
  };
}

async function createDevelopment(dir: string, now: Date): Promise<void> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const serial = () =>
    Buffer.from(webcrypto.getRandomValues(new Uint8Array(12)))
      .toString("hex")
      .replace(/^[89a-f]/, "1");
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Lumen development CA, O=Lumen (development; not trusted)",
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 10 * 365 * DAY_MS),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=Lumen development signer, O=Lumen (development; not trusted)",
    issuer: ca.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 365 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.emailProtection, ID_KP_DOCUMENT_SIGNING],
        false
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString(
    "base64"
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, DEV_FILES.key),
    `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`,
    { mode: 0o600 }
  );
  writeFileSync(join(dir, DEV_FILES.ca), ca.toString("pem") + "\n");
  writeFileSync(join(dir, DEV_FILES.chain), `${leaf.toString("pem")}\n${ca.toString("pem")}\n`);
}

export interface CredentialOptions {
  /** The organisation's PEM private key and PEM certificate chain (signing certificate first). */
  keyPath?: string;
  certPath?: string;
  /** Where development credentials are kept: <dataDir>/c2pa/. */
  dataDir: string;
  now?: Date;
}

/**
 * The organisation's credentials when configured; otherwise the development ones, made on first
 * start and made again when less than 30 days of their signing certificate are left.
 */
export async function loadSigningCredentials(
  options: CredentialOptions
): Promise<SigningCredentials> {
  const now = options.now ?? new Date();
  if (options.keyPath || options.certPath) {
    if (!options.keyPath || !options.certPath)
      throw new CredentialsError(
        "Content Credentials: give both the key and the certificate chain"
      );
    return loadOwn(options.keyPath, options.certPath, now);
  }
  const dir = join(options.dataDir, "c2pa");
  const paths = {
    key: join(dir, DEV_FILES.key),
    chain: join(dir, DEV_FILES.chain),
    ca: join(dir, DEV_FILES.ca),
  };
  const usable = () => {
    if (!Object.values(paths).every(existsSync)) return false;
    const [leaf] = pemCertificates(readFileSync(paths.chain, "utf8"));
    return leaf !== undefined && new Date(leaf.validTo).getTime() - now.getTime() > 30 * DAY_MS;
  };
  if (!usable()) await createDevelopment(dir, now);
  return {
    ...loadOwn(paths.key, paths.chain, now),
    development: true,
    developmentCaPem: readFileSync(paths.ca, "utf8"),
  };
}
