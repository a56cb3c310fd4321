// A stand-in for the Hugging Face Hub's HTTP API, for tests (the real Hub is not reachable here).
// It serves folders as model repositories with the Hub's documented shapes, whatever client asks:
//
//   GET  /api/models/{repo}[/revision/{rev}]       model info (sha, siblings, gated, cardData;
//                                                  only _id, id and the fields named by ?expand=)
//   GET  /api/models/{repo}/tree/{rev}[/{path}]    ?recursive=&expand=; pages of `limit` entries
//                                                  linked by `Link: <…>; rel="next"`; LFS files
//                                                  carry lfs: {oid, size, pointerSize}
//   POST /api/models/{repo}/paths-info/{rev}       {paths, expand} (JSON or form), entries as above
//   GET|HEAD /{repo}/resolve/{rev}/{path}          small files: 200/206 with ETag (git blob id);
//                                                  LFS files: 302 to a signed CDN address with
//                                                  X-Linked-Etag / X-Linked-Size; X-Repo-Commit
//   GET|HEAD {cdn}/repos/…/{sha256}?Expires&Signature   the content; Range → 206 + Content-Range,
//                                                  416 outside it; 403 for a bad signature
//
// Refusals carry the Hub's X-Error-Code / X-Error-Message headers and {"error": …} body: 401
// "Invalid credentials in Authorization header" for an unknown token; RepoNotFound (401 without
// a token, 404 with one); GatedRepo (401 without a token, 403 without a grant) on a gated repo's
// files; RevisionNotFound, EntryNotFound (404).
//
// Tests add faults to what the CDN serves (a connection cut after some bytes, a flipped byte)
// and read `requests` to see what a client asked for.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join, posix, relative, sep } from "node:path";

export interface StandInFile {
  path: string;
  content: Buffer;
  /** Stored with Git LFS (the Hub's default .gitattributes patterns, or larger than 10 MB). */
  lfs: boolean;
}

export interface StandInRepo {
  id: string;
  files: StandInFile[];
  gated?: "auto" | "manual";
  private?: boolean;
  cardData?: Record<string, unknown>;
}

export interface StandInToken {
  /** Gated or private repositories this token's account may read. */
  grants: string[];
}

export type Fault =
  | { path: string; kind: "cut"; afterBytes: number; times: number }
  | { path: string; kind: "corrupt"; offset: number };

export interface RecordedRequest {
  server: "hub" | "cdn";
  method: string;
  url: string;
  range?: string;
  authorization: boolean;
  status: number;
}

// The patterns of the .gitattributes every new Hub repository starts with (abridged to the
// extensions model repositories use).
const LFS_PATTERNS =
  /\.(7z|arrow|bin|bz2|ckpt|ftz|gz|h5|joblib|tflite|mlmodel|model|msgpack|npy|npz|onnx|ot|parquet|pb|pickle|pkl|pt|pth|rar|safetensors|tar|tgz|wasm|xz|zip|zst)$|_data$|^saved_model\/|tfevents/;
const LFS_SIZE = 10 * 1024 * 1024;

export function isLfsPath(path: string, size: number): boolean {
  return LFS_PATTERNS.test(path) || size > LFS_SIZE;
}

/** A repository from a folder's files, with `extra` files added or replaced (null removes one). */
export function repoFromFolder(
  id: string,
  dir: string,
  extra: Record<string, Buffer | string | null> = {},
  options: Omit<StandInRepo, "id" | "files"> = {}
): StandInRepo {
  const files = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    files.set(relative(dir, full).split(sep).join("/"), readFileSync(full));
  }
  for (const [path, content] of Object.entries(extra)) {
    if (content === null) files.delete(path);
    else files.set(path, Buffer.from(content));
  }
  return {
    id,
    ...options,
    files: [...files].map(([path, content]) => ({
      path,
      content,
      lfs: isLfsPath(path, content.length),
    })),
  };
}

const sha1 = (data: Buffer | string) => createHash("sha1").update(data).digest("hex");
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

interface Entry {
  file: StandInFile;
  /** Git blob id of the content, or of the LFS pointer. */
  oid: string;
  sha256?: string;
  pointerSize?: number;
}

interface Indexed {
  repo: StandInRepo;
  commit: string;
  entries: Map<string, Entry>;
  dirs: Set<string>;
}

function gitBlobId(content: Buffer): string {
  return sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
}

function index(repo: StandInRepo): Indexed {
  const entries = new Map<string, Entry>();
  const dirs = new Set<string>();
  for (const file of repo.files) {
    if (file.lfs) {
      const hash = sha256(file.content);
      const pointer = Buffer.from(
        `version https://git-lfs.github.com/spec/v1\noid sha256:${hash}\nsize ${file.content.length}\n`
      );
      entries.set(file.path, {
        file,
        oid: gitBlobId(pointer),
        sha256: hash,
        pointerSize: pointer.length,
      });
    } else entries.set(file.path, { file, oid: gitBlobId(file.content) });
    let d = posix.dirname(file.path);
    while (d !== ".") {
      dirs.add(d);
      d = posix.dirname(d);
    }
  }
  const commit = sha1(
    [...entries]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([p, e]) => `${p} ${e.oid}`)
      .join("\n")
  );
  return { repo, commit, entries, dirs };
}

export interface HubStandIn {
  url: string;
  cdnUrl: string;
  requests: RecordedRequest[];
  faults: Fault[];
  /** The commit a repository's main branch points at. */
  commit(repo: string): string;
  close(): Promise<void>;
}

export interface StandInOptions {
  repos: StandInRepo[];
  tokens?: Record<string, StandInToken>;
  /** Tree entries per page (the Hub's is 1000); small values exercise pagination. */
  pageSize?: number;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    );
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A single byte range of a `Range` header, or "unsatisfiable", or undefined for the whole file. */
function parseRange(
  header: string | undefined,
  size: number
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // not one simple range: serve it all
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

const CONTENT_TYPES: Record<string, string> = {
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

export async function startHubStandIn(options: StandInOptions): Promise<HubStandIn> {
  const repos = new Map(options.repos.map((r) => [r.id, index(r)]));
  const tokens = options.tokens ?? {};
  const pageSize = options.pageSize ?? 1000;
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const secret = randomBytes(16);
  let hubUrl = "";
  let cdnUrl = "";
  /** sha256 → the repository path and content the CDN serves for it. */
  const blobs = new Map<string, { path: string; content: Buffer }>();
  for (const r of repos.values())
    for (const e of r.entries.values())
      if (e.sha256) blobs.set(e.sha256, { path: e.file.path, content: e.file.content });

  const record = (server: "hub" | "cdn", req: IncomingMessage, res: ServerResponse) => {
    const entry: RecordedRequest = {
      server,
      method: req.method ?? "GET",
      url: req.url ?? "",
      range: req.headers.range,
      authorization: req.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(entry);
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      entry.status = status;
      return (writeHead as (...a: unknown[]) => ServerResponse)(status, ...rest);
    }) as typeof res.writeHead;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {}
  ) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type":
        typeof body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      "x-request-id": randomBytes(8).toString("hex"),
      ...headers,
    });
    res.end(text);
  };
  const refuse = (res: ServerResponse, status: number, code: string | undefined, message: string) =>
    send(
      res,
      status,
      { error: message },
      { ...(code ? { "x-error-code": code } : {}), "x-error-message": message }
    );

  /** The caller's token: null when none, undefined when it is not one the Hub knows. */
  const tokenOf = (req: IncomingMessage): StandInToken | null | undefined => {
    const header = req.headers.authorization;
    if (!header) return null;
    const m = /^Bearer (.+)$/.exec(header);
    return m ? tokens[m[1]] : undefined;
  };

  /** The repository if the caller may see it; otherwise the refusal has been sent. */
  const access = (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    files: boolean
  ): Indexed | undefined => {
    const token = tokenOf(req);
    if (token === undefined) {
      refuse(res, 401, undefined, "Invalid credentials in Authorization header");
      return undefined;
    }
    const r = repos.get(id);
    const granted = token !== null && token.grants.includes(id);
    if (!r || (r.repo.private && !granted)) {
      refuse(res, token ? 404 : 401, "RepoNotFound", "Repository not found");
      return undefined;
    }
    if (files && r.repo.gated && !granted) {
      if (token === null) {
        refuse(
          res,
          401,
          "GatedRepo",
          `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`
        );
      } else {
        refuse(
          res,
          403,
          "GatedRepo",
          `Access to model ${id} is restricted and you are not in the authorized list. Visit ${hubUrl}/${id} to ask for access.`
        );
      }
      return undefined;
    }
    return r;
  };

  const revisionOk = (res: ServerResponse, r: Indexed, rev: string): boolean => {
    if (rev === "main" || rev === "HEAD" || rev === r.commit) return true;
    refuse(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
    return false;
  };

  const treeEntry = (r: Indexed, path: string, expand: boolean): Record<string, unknown> => {
    const e = r.entries.get(path);
    const extra = expand
      ? {
          lastCommit: { id: r.commit, title: "Upload folder", date: "2024-01-01T00:00:00.000Z" },
          securityFileStatus: { status: "safe" },
        }
      : {};
    if (!e)
      return { type: "directory", oid: sha1(`tree ${r.commit} ${path}`), size: 0, path, ...extra };
    return {
      type: "file",
      oid: e.oid,
      size: e.file.content.length,
      path,
      ...(e.sha256
        ? { lfs: { oid: e.sha256, size: e.file.content.length, pointerSize: e.pointerSize } }
        : {}),
      ...extra,
    };
  };

  const sign = (path: string, expires: number) =>
    createHmac("sha256", secret).update(`${path}:${expires}`).digest("hex");

  const hub = createServer(async (req, res) => {
    record("hub", req, res);
    const url = new URL(req.url ?? "/", hubUrl);
    const path = url.pathname;
    try {
      let m: RegExpExecArray | null;
      if (
        (m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(path)) &&
        req.method === "GET"
      ) {
        const r = access(req, res, decodeURIComponent(m[1]), false);
        if (!r) return;
        const rev = decodeURIComponent(m[2] ?? "main");
        if (!revisionOk(res, r, rev)) return;
        const full: Record<string, unknown> = {
          _id: sha1(r.repo.id).slice(0, 24),
          id: r.repo.id,
          modelId: r.repo.id,
          author: r.repo.id.split("/")[0],
          sha: r.commit,
          lastModified: "2024-01-01T00:00:00.000Z",
          createdAt: "2024-01-01T00:00:00.000Z",
          private: !!r.repo.private,
          disabled: false,
          gated: r.repo.gated ?? false,
          downloads: 0,
          likes: 0,
          library_name: "diffusers",
          pipeline_tag: "text-to-image",
          tags: ["diffusers", "onnx", "text-to-image"],
          cardData: r.repo.cardData ?? {},
          siblings: [...r.entries.keys()].sort().map((rfilename) => ({ rfilename })),
          spaces: [],
        };
        const expand = url.searchParams.getAll("expand");
        const body = expand.length
          ? Object.fromEntries(
              Object.entries(full).filter(([k]) => k === "_id" || k === "id" || expand.includes(k))
            )
          : full;
        return send(res, 200, body);
      }
      if (
        (m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(\/.*)?$/.exec(path)) &&
        req.method === "GET"
      ) {
        const r = access(req, res, decodeURIComponent(m[1]), false);
        if (!r) return;
        const rev = decodeURIComponent(m[2]);
        if (!revisionOk(res, r, rev)) return;
        const base = (m[3] ?? "").replace(/^\/+|\/+$/g, "");
        if (base && !r.dirs.has(base))
          return refuse(res, 404, "EntryNotFound", `${base} does not exist on "${rev}"`);
        const recursive = url.searchParams.get("recursive") === "true";
        const expand = url.searchParams.get("expand") === "true";
        const paths = [...r.dirs, ...r.entries.keys()]
          .filter((p) => (base ? p.startsWith(base + "/") : true))
          .filter((p) => recursive || posix.dirname(p) === (base || "."))
          .sort();
        const offset = Number(
          url.searchParams.get("cursor")
            ? Buffer.from(url.searchParams.get("cursor")!, "base64url").toString()
            : 0
        );
        const page = paths.slice(offset, offset + pageSize);
        const headers: Record<string, string> = {};
        if (offset + pageSize < paths.length) {
          const next = new URL(url.pathname, hubUrl);
          next.searchParams.set("recursive", String(recursive));
          next.searchParams.set("expand", String(expand));
          next.searchParams.set(
            "cursor",
            Buffer.from(String(offset + pageSize)).toString("base64url")
          );
          headers.link = `<${next.href}>; rel="next"`;
        }
        return send(
          res,
          200,
          page.map((p) => treeEntry(r, p, expand)),
          headers
        );
      }
      if (
        (m = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/.exec(path)) &&
        req.method === "POST"
      ) {
        const r = access(req, res, decodeURIComponent(m[1]), false);
        if (!r) return;
        if (!revisionOk(res, r, decodeURIComponent(m[2]))) return;
        const text = await readBody(req);
        let paths: string[];
        let expand = false;
        if ((req.headers["content-type"] ?? "").includes("application/json")) {
          const body = JSON.parse(text);
          paths = body.paths ?? [];
          expand = body.expand === true;
        } else {
          const form = new URLSearchParams(text);
          paths = form.getAll("paths");
          expand = form.get("expand") === "true";
        }
        return send(
          res,
          200,
          paths.filter((p) => r.entries.has(p) || r.dirs.has(p)).map((p) => treeEntry(r, p, expand))
        );
      }
      if (
        (m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path)) &&
        (req.method === "GET" || req.method === "HEAD")
      ) {
        const r = access(req, res, decodeURIComponent(m[1]), true);
        if (!r) return;
        const rev = decodeURIComponent(m[2]);
        if (!revisionOk(res, r, rev)) return;
        const e = r.entries.get(decodeURIComponent(m[3]));
        if (!e) return refuse(res, 404, "EntryNotFound", "Entry not found");
        const common = {
          "x-repo-commit": r.commit,
          "accept-ranges": "bytes",
          "x-request-id": randomBytes(8).toString("hex"),
        };
        if (e.sha256) {
          const name = basename(e.file.path);
          const blobPath = `/repos/${e.sha256.slice(0, 2)}/${e.sha256.slice(2, 4)}/${sha1(r.repo.id)}/${e.sha256}`;
          const expires = Math.floor(Date.now() / 1000) + 3600;
          const location = new URL(blobPath, cdnUrl);
          location.searchParams.set(
            "response-content-disposition",
            `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name}";`
          );
          location.searchParams.set("Expires", String(expires));
          location.searchParams.set("Signature", sign(blobPath, expires));
          location.searchParams.set("Key-Pair-Id", "KSTANDIN");
          const text = `Found. Redirecting to ${location.href}`;
          res.writeHead(302, {
            ...common,
            location: location.href,
            etag: `"${e.oid}"`,
            "x-linked-etag": `"${e.sha256}"`,
            "x-linked-size": String(e.file.content.length),
            "content-type": "text/plain; charset=utf-8",
            "content-length": String(Buffer.byteLength(text)),
          });
          return res.end(req.method === "HEAD" ? undefined : text);
        }
        return serveContent(
          req,
          res,
          e.file.content,
          {
            ...common,
            etag: `"${e.oid}"`,
            "content-type": CONTENT_TYPES[posix.extname(e.file.path)] ?? "application/octet-stream",
          },
          e.file.path
        );
      }
      send(res, 404, { error: "Sorry, we can't find the page you are looking for." });
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: String(e) });
      else res.destroy();
    }
  });

  /** 200 or 206 with the body; faults apply to files given by `faultPath`. */
  function serveContent(
    req: IncomingMessage,
    res: ServerResponse,
    contentIn: Buffer,
    headers: Record<string, string>,
    faultPath?: string
  ): void {
    let content = contentIn;
    const corrupt = faults.find((f) => f.kind === "corrupt" && f.path === faultPath) as
      Extract<Fault, { kind: "corrupt" }> | undefined;
    if (corrupt) {
      content = Buffer.from(content);
      content[corrupt.offset] ^= 0xff;
    }
    const range = parseRange(req.headers.range, content.length);
    if (range === "unsatisfiable") {
      res.writeHead(416, {
        ...headers,
        "content-range": `bytes */${content.length}`,
        "content-length": "0",
      });
      return void res.end();
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? content.length - 1;
    const body = content.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      "content-length": String(body.length),
      ...(range ? { "content-range": `bytes ${start}-${end}/${content.length}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    const cut = faults.find((f) => f.kind === "cut" && f.path === faultPath && f.times > 0) as
      Extract<Fault, { kind: "cut" }> | undefined;
    if (cut && body.length > cut.afterBytes) {
      cut.times--;
      // Send part of the body, then drop the connection as a failing network would.
      res.write(body.subarray(0, cut.afterBytes), () =>
        setTimeout(() => res.socket?.destroy(), 20)
      );
      return;
    }
    res.end(body);
  }

  const cdn = createServer((req, res) => {
    record("cdn", req, res);
    const url = new URL(req.url ?? "/", cdnUrl);
    const m = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{40}\/([0-9a-f]{64})$/.exec(
      url.pathname
    );
    const blob = m ? blobs.get(m[1]) : undefined;
    const expires = Number(url.searchParams.get("Expires"));
    const xml = (status: number, code: string, message: string) => {
      const text = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
      res.writeHead(status, {
        "content-type": "application/xml",
        "content-length": String(text.length),
      });
      res.end(text);
    };
    if (!m || !blob) return xml(404, "NoSuchKey", "The specified key does not exist.");
    if (
      url.searchParams.get("Signature") !== sign(url.pathname, expires) ||
      expires * 1000 < Date.now()
    ) {
      return xml(403, "AccessDenied", "Access denied");
    }
    serveContent(
      req,
      res,
      blob.content,
      {
        "content-type": "binary/octet-stream",
        etag: `"${createHash("md5").update(blob.content).digest("hex")}"`,
        "accept-ranges": "bytes",
        "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT",
        "x-cache": "Miss from cloudfront",
      },
      blob.path
    );
  });

  hubUrl = await listen(hub);
  cdnUrl = await listen(cdn);
  return {
    url: hubUrl,
    cdnUrl,
    requests,
    faults,
    commit: (id) => repos.get(id)!.commit,
    close: async () => {
      for (const s of [hub, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
