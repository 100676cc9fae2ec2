/**
 * Finding a nats-server binary, and installing one into a per-user cache when there is
 * none: what `schedule dev`, `tools/install_nats_server.ts` and the test harness share.
 *
 * The order: `NATS_SERVER_BIN`, then `nats-server` on `PATH`, then the newest binary in
 * the cache (`$XDG_CACHE_HOME/schedule/nats-server/<version>/nats-server`, by default under
 * `~/.cache`), then an install (see `install.ts`).
 *
 * @module
 */

import { installNatsServer } from "./install.ts";
import { compareVersions } from "../nats/server_version.ts";

/** What to look for, and where; every field has a default from the process. */
export interface FindOptions {
  /** A version (`2.10`, `2.15.1`): only the cache is searched, for a matching version. */
  version?: string;
  /** The cache root (default {@link defaultCacheDir}). */
  cacheDir?: string;
  /** The environment to read `NATS_SERVER_BIN`, `PATH` and the cache root from. */
  env?: Record<string, string | undefined>;
}

/** The file name of the binary on this platform. */
export const BINARY_NAME = Deno.build.os === "windows"
  ? "nats-server.exe"
  : "nats-server";

/**
 * The per-user cache root of installed binaries: `$XDG_CACHE_HOME/schedule/nats-server`,
 * else `~/.cache/schedule/nats-server` (`%LOCALAPPDATA%` on Windows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultCacheDir } from "./binary.ts";
 * assert.equal(defaultCacheDir({ HOME: "/home/ann" }), "/home/ann/.cache/schedule/nats-server");
 * ```
 */
export function defaultCacheDir(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string {
  const base = env.XDG_CACHE_HOME ?? env.LOCALAPPDATA ??
    `${env.HOME ?? env.USERPROFILE ?? "."}/.cache`;
  return `${base}/schedule/nats-server`;
}

/**
 * The nats-server to use, without installing: `NATS_SERVER_BIN`, `PATH`, then the
 * newest cached version (with `version`: only a cached one of that version).
 * `undefined` when there is none.
 *
 * @example
 * ```ts ignore
 * const binary = await findNatsServer(); // "/usr/local/bin/nats-server"
 * ```
 */
export async function findNatsServer(
  options: FindOptions = {},
): Promise<string | undefined> {
  const env = options.env ?? Deno.env.toObject();
  if (options.version === undefined) {
    if (env.NATS_SERVER_BIN) return env.NATS_SERVER_BIN;
    const separator = Deno.build.os === "windows" ? ";" : ":";
    for (const dir of (env.PATH ?? "").split(separator)) {
      if (dir && await isFile(`${dir}/${BINARY_NAME}`)) {
        return `${dir}/${BINARY_NAME}`;
      }
    }
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const cached = (await cachedVersions(cacheDir))
    .filter((v) => options.version === undefined || matches(v, options.version))
    .sort(compareVersions);
  const newest = cached.at(-1);
  return newest && `${cacheDir}/${newest}/${BINARY_NAME}`;
}

/**
 * {@link findNatsServer}, else installs one into the cache and returns its path. One
 * install at a time per cache (a lock file), so concurrent callers wait for the first
 * and use its binary.
 *
 * @example
 * ```ts ignore
 * const binary = await ensureNatsServer({ version: "2.10" });
 * ```
 */
export async function ensureNatsServer(
  options: FindOptions = {},
): Promise<string> {
  const found = await findNatsServer(options);
  if (found) return found;
  const cacheDir = options.cacheDir ??
    defaultCacheDir(options.env ?? Deno.env.toObject());
  await Deno.mkdir(cacheDir, { recursive: true });
  using lock = await Deno.open(`${cacheDir}/.lock`, {
    create: true,
    write: true,
  });
  await lock.lock(true);
  // Another process may have installed it while this one waited.
  const cached = await findNatsServer({ ...options, cacheDir });
  if (cached) return cached;
  return await installNatsServer(options.version, cacheDir);
}

/** The version folders of the cache that hold a binary. */
async function cachedVersions(cacheDir: string): Promise<string[]> {
  const versions: string[] = [];
  try {
    for await (const entry of Deno.readDir(cacheDir)) {
      if (
        entry.isDirectory && /^\d+\.\d+\.\d+$/.test(entry.name) &&
        await isFile(`${cacheDir}/${entry.name}/${BINARY_NAME}`)
      ) versions.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return versions;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether `version` (`2.10.27`) is of `wanted`: the same version, or a line (`2.10`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matches } from "./binary.ts";
 * assert.ok(matches("2.10.27", "2.10"));
 * assert.ok(!matches("2.100.1", "2.10"));
 * ```
 */
export function matches(version: string, wanted: string): boolean {
  return version === wanted || version.startsWith(`${wanted}.`);
}
