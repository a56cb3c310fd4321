// The HTTPS certificate for development: the configured one, else the Office dev certificate
// when office-addin-dev-certs has installed one, else a self-signed localhost certificate kept in
// the data directory (created once, with a printed hint on how to trust it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import type { Config } from "./config";
import { ConfigError } from "./config";

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  source: string;
  hint?: string;
}

export async function loadTlsFiles(config: Config): Promise<TlsFiles> {
  if (config.tlsCert || config.tlsKey) {
    if (!config.tlsCert || !config.tlsKey)
      throw new ConfigError("tlsCert and tlsKey must be set together");
    for (const path of [config.tlsCert, config.tlsKey]) {
      if (!existsSync(path)) throw new ConfigError(`TLS file ${path} does not exist`);
    }
    return {
      cert: readFileSync(config.tlsCert),
      key: readFileSync(config.tlsKey),
      source: config.tlsCert,
    };
  }
  const office = join(homedir(), ".office-addin-dev-certs");
  if (existsSync(join(office, "localhost.crt")) && existsSync(join(office, "localhost.key"))) {
    return {
      cert: readFileSync(join(office, "localhost.crt")),
      key: readFileSync(join(office, "localhost.key")),
      source: "office-addin-dev-certs",
    };
  }
  const dir = join(config.dataDir, "certs");
  const certPath = join(dir, "localhost.crt");
  const keyPath = join(dir, "localhost.key");
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true });
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keySize: 2048,
      algorithm: "sha256",
      notAfterDate: new Date(Date.now() + 365 * 86_400_000),
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
            { type: 7, ip: "::1" },
          ],
        },
      ],
    });
    writeFileSync(certPath, pems.cert);
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
  }
  return {
    cert: readFileSync(certPath),
    key: readFileSync(keyPath),
    source: certPath,
    hint:
      `using a self-signed certificate (${certPath}). Office and browsers trust it only once you do: ` +
      "on Windows or macOS run `npx office-addin-dev-certs install` and restart; elsewhere import that file " +
      "into your browser's or system's trusted roots, or run behind a TLS proxy with --http.",
  };
}
