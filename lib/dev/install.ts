/**
 * Installing nats-server into the per-user cache: from the platform's package manager
 * when it has a recent enough version, else from the official release archive.
 *
 * - Debian and Ubuntu: the newest `nats-server` package the machine's apt sources know
 *   of; on Debian also the `unstable`, `testing` and `stable` suites of the machine's own mirror,
 *   read with a private apt state (the system's lists are left alone). The `.deb` is
 *   downloaded (`apt-get download`) and unpacked (`dpkg-deb -x`), not installed.
 * - macOS: `brew install nats-server`.
 * - Otherwise: `nats-server-v<ver>-<os>-<arch>.tar.gz` (`.zip` on Windows) from the GitHub
 *   release, checked against the release's `SHA256SUMS`, unpacked with `tar`/`unzip`.
 *
 * Progress goes to standard error.
 *
 * @module
 */

import { ScheduleError } from "../errors.ts";
import { BINARY_NAME, matches } from "./binary.ts";
import { compareVersions, MIN_NATS_SERVER } from "../nats/server_version.ts";

const RELEASES = "https://github.com/nats-io/nats-server/releases";

/** A binary found by one install method, and its nats-server version. */
interface Fetched {
  path: string;
  version: string;
  /** Whether the binary is to be copied into the cache (false: it is installed already). */
  copy: boolean;
}

/**
 * Installs nats-server (`version`: a version or a line such as `2.10`; the newest when
 * omitted) and returns the path of its binary, in `cacheDir/<version>/` unless the
 * package manager installed it (Homebrew). Callers hold the cache's lock.
 *
 * @throws {ScheduleError} When no method works; the message names what to do instead.
 *
 * @example
 * ```ts ignore
 * const binary = await installNatsServer("2.10", "/home/ann/.cache/schedule/nats-server");
 * ```
 */
export async function installNatsServer(
  version: string | undefined,
  cacheDir: string,
): Promise<string> {
  const work = await Deno.makeTempDir({ prefix: "nats-server-install-" });
  try {
    const fetched = await fromPackageManager(version, work) ??
      await fromReleaseArchive(version, work);
    if (!fetched.copy) return fetched.path;
    const dir = `${cacheDir}/${fetched.version}`;
    const partial = `${cacheDir}/.${fetched.version}.partial`;
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    await Deno.mkdir(partial, { recursive: true });
    await Deno.copyFile(fetched.path, `${partial}/${BINARY_NAME}`);
    await Deno.chmod(`${partial}/${BINARY_NAME}`, 0o755).catch(() => {});
    await Deno.rename(partial, dir);
    console.error(`installed nats-server ${fetched.version} in ${dir}`);
    return `${dir}/${BINARY_NAME}`;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

async function fromPackageManager(
  version: string | undefined,
  work: string,
): Promise<Fetched | undefined> {
  if (Deno.build.os === "darwin") return await fromHomebrew(version);
  if (Deno.build.os === "linux") return await fromApt(version, work);
}

/** The installed nats-server's version, from `nats-server --version`. */
async function binaryVersion(path: string): Promise<string> {
  const out = await run(path, ["--version"]);
  const version = /v(\d+\.\d+\.\d+)/.exec(out)?.[1];
  if (!version) throw new ScheduleError(`${path} --version said: ${out}`);
  return version;
}

/** Whether a package of upstream `version` is one to use. */
function acceptable(version: string, wanted: string | undefined): boolean {
  return compareVersions(version, MIN_NATS_SERVER) >= 0 &&
    (wanted === undefined || matches(version, wanted));
}

async function fromHomebrew(
  wanted: string | undefined,
): Promise<Fetched | undefined> {
  const info = await run("brew", ["info", "--json=v2", "nats-server"])
    .catch(() => undefined);
  if (info === undefined) return;
  const version: string = JSON.parse(info).formulae[0].versions.stable;
  if (!acceptable(version, wanted)) return;
  console.error(`brew install nats-server (${version})`);
  await run("brew", ["install", "nats-server"]);
  const prefix = (await run("brew", ["--prefix"])).trim();
  return { path: `${prefix}/bin/nats-server`, version, copy: false };
}

/** apt options of one source of packages: the system's, or a private state in `dir`. */
type AptSource = string[];

async function fromApt(
  wanted: string | undefined,
  work: string,
): Promise<Fetched | undefined> {
  if (!await run("apt-get", ["--version"]).then(() => true, () => false)) {
    return;
  }
  const sources: AptSource[] = [[]];
  const debian = await debianSuites(work);
  if (debian) sources.push(debian);
  const best = await newestPackage(sources, wanted);
  if (!best) return;
  console.error(
    `downloading the Debian package nats-server ${best.debVersion}`,
  );
  const path = await unpackPackage(best.source, best.debVersion, work);
  return { path, version: await binaryVersion(path), copy: true };
}

/** The newest nats-server package of `sources` that is acceptable, if any. */
async function newestPackage(
  sources: AptSource[],
  wanted: string | undefined,
): Promise<
  { source: AptSource; debVersion: string; version: string } | undefined
> {
  let best:
    | { source: AptSource; debVersion: string; version: string }
    | undefined;
  for (const source of sources) {
    const madison = await run("apt-cache", [
      ...source,
      "madison",
      "nats-server",
    ]).catch(() => "");
    for (const line of madison.split("\n")) {
      const debVersion = line.split("|")[1]?.trim();
      // 1:2.10.27-1+b2 → 2.10.27
      const version = debVersion?.replace(/^\d+:/, "").replace(/[-+~].*$/, "");
      if (
        version && acceptable(version, wanted) &&
        (!best || compareVersions(version, best.version) > 0)
      ) best = { source, debVersion, version };
    }
  }
  return best;
}

/** Downloads one nats-server package into `work`, unpacks it, returns the binary. */
async function unpackPackage(
  source: AptSource,
  debVersion: string,
  work: string,
): Promise<string> {
  await run("apt-get", [
    ...source,
    "-qq",
    "download",
    `nats-server=${debVersion}`,
  ], work);
  const deb = [...Deno.readDirSync(work)].find((e) => e.name.endsWith(".deb"));
  if (!deb) throw new ScheduleError("apt-get download left no .deb");
  await run("dpkg-deb", ["-x", deb.name, "unpacked"], work);
  // Debian puts it in /usr/sbin, Ubuntu's older packages in /usr/bin.
  const path = ["sbin", "bin"].map((dir) =>
    `${work}/unpacked/usr/${dir}/nats-server`
  ).find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  if (!path) throw new ScheduleError("the nats-server package held no binary");
  return path;
}

/**
 * On Debian: apt options reading the `unstable`, `testing` and `stable` suites of the machine's
 * mirror into a private state under `work` (updated here), else `undefined`.
 */
async function debianSuites(work: string): Promise<AptSource | undefined> {
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  if (!/^ID=debian$/m.test(osRelease)) return;
  const mirror = await debianMirror();
  if (!mirror) return;
  const state = `${work}/apt`;
  for (const dir of ["lists/partial", "cache/archives/partial", "parts"]) {
    await Deno.mkdir(`${state}/${dir}`, { recursive: true });
  }
  await Deno.writeTextFile(
    `${state}/sources.list`,
    ["unstable", "testing", "stable"].map((suite) =>
      `deb [signed-by=${mirror.keyring}] ${mirror.uri} ${suite} main\n`
    ).join(""),
  );
  const options = [
    "-o",
    `Dir::Etc::SourceList=${state}/sources.list`,
    "-o",
    `Dir::Etc::SourceParts=${state}/parts`,
    "-o",
    `Dir::State::Lists=${state}/lists`,
    "-o",
    `Dir::Cache=${state}/cache`,
    // "root" means: do not switch to the _apt user (who could not write here).
    "-o",
    "APT::Sandbox::User=root",
  ];
  console.error(
    `reading Debian unstable, testing and stable from ${mirror.uri}`,
  );
  try {
    await run("apt-get", [...options, "-qq", "update"]);
  } catch (err) {
    console.error(`(skipped: ${(err as Error).message})`);
    return;
  }
  return options;
}

/** The machine's Debian mirror and the keyring it is signed with, from apt's sources. */
async function debianMirror(): Promise<
  { uri: string; keyring: string } | undefined
> {
  const read = (path: string) => Deno.readTextFile(path).catch(() => "");
  let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
  let uri: string | undefined;
  // deb822: the first stanza that is not the security archive.
  for (
    const stanza of (await read("/etc/apt/sources.list.d/debian.sources"))
      .split(/\n\s*\n/)
  ) {
    const field = (name: string) =>
      new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(stanza)?.[1];
    const found = field("URIs");
    if (found && !/security/.test(stanza)) {
      uri = found;
      keyring = field("Signed-By") ?? keyring;
      break;
    }
  }
  // One-line format: the first deb line that is not the security archive.
  uri ??= (await read("/etc/apt/sources.list")).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((words) =>
      words[0] === "deb" && !words.join(" ").includes("security")
    )
    .map((words) => words[1].startsWith("[") ? words[2] : words[1])[0];
  return uri === undefined ? undefined : { uri, keyring };
}

async function fromReleaseArchive(
  wanted: string | undefined,
  work: string,
): Promise<Fetched> {
  const version = wanted ?? await latestRelease();
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new ScheduleError(
      `no package of nats-server ${version} here; a release archive needs a full version such as 2.10.29`,
    );
  }
  const { name, file, zip } = releaseFile(version);
  console.error(`downloading ${RELEASES}/download/v${version}/${file}`);
  const archive = await download(`${RELEASES}/download/v${version}/${file}`);
  await verifySum(archive, version, file);
  await Deno.writeFile(`${work}/${file}`, archive);
  if (zip) await run("unzip", ["-q", file], work);
  else await run("tar", ["-xzf", file], work);
  return { path: `${work}/${name}/${BINARY_NAME}`, version, copy: true };
}

/** The release archive of `version` for this platform. */
function releaseFile(
  version: string,
): { name: string; file: string; zip: boolean } {
  const os = ({
    linux: "linux",
    darwin: "darwin",
    windows: "windows",
    freebsd: "freebsd",
  } as Record<string, string>)[Deno.build.os];
  const arch =
    ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[
      Deno.build.arch
    ];
  if (!os || !arch) {
    throw new ScheduleError(
      `no nats-server release for ${Deno.build.os}/${Deno.build.arch}`,
    );
  }
  const name = `nats-server-v${version}-${os}-${arch}`;
  const zip = os === "windows";
  return { name, file: `${name}.${zip ? "zip" : "tar.gz"}`, zip };
}

/** Checks `archive` against the release's `SHA256SUMS`. */
async function verifySum(
  archive: Uint8Array<ArrayBuffer>,
  version: string,
  file: string,
): Promise<void> {
  const sums = new TextDecoder().decode(
    await download(`${RELEASES}/download/v${version}/SHA256SUMS`),
  );
  const expected = sums.split("\n").find((line) => line.endsWith(` ${file}`))
    ?.split(/\s+/)[0];
  const actual = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", archive)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  if (expected !== actual) {
    throw new ScheduleError(`${file}: SHA-256 ${actual} is not ${expected}`);
  }
}

/** The newest release's version, from where `releases/latest` redirects. */
async function latestRelease(): Promise<string> {
  const response = await fetch(`${RELEASES}/latest`, { redirect: "manual" });
  await response.body?.cancel();
  const version = /\/tag\/v(\d+\.\d+\.\d+)$/.exec(
    response.headers.get("location") ?? "",
  )?.[1];
  if (!version) {
    throw new ScheduleError(
      `cannot tell the newest nats-server release from ${RELEASES}/latest (HTTP ${response.status})`,
    );
  }
  return version;
}

async function download(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new ScheduleError(`${url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Runs `command` to its end; its standard output, or a {@link ScheduleError}. */
async function run(
  command: string,
  args: string[],
  cwd?: string,
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new ScheduleError(
      `${command} ${args.join(" ")} failed: ${decoder.decode(stderr).trim()}`,
    );
  }
  return decoder.decode(stdout);
}
