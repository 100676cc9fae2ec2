/**
 * Test helpers for the executable: running `server.ts` as a process with the permissions
 * of `deno task compile`, following a service's log, and TLS certificates.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { NatsServer } from "./nats_server.ts";
import { COMPILE_PERMISSIONS } from "./helpers.ts";

const serverTs = new URL("../server.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** `server.ts` with `args`, granted what the executable is, with only `env` set. */
function command(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSIONS, serverTs, ...args],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs the executable to its end; returns its exit code and output. */
export async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await command(args, env).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** A running service process whose stderr log is collected. */
export class Service {
  readonly child: Deno.ChildProcess;
  log = "";
  readonly #reader;

  constructor(args: string[], env: Record<string, string>) {
    this.child = command(args, env).spawn();
    this.#reader = this.child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
  }

  /** Reads the log until it holds `text`, failing after 20 s. */
  async until(text: string): Promise<void> {
    const deadline = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    try {
      while (!this.log.includes(text)) {
        const { value, done } = await this.#reader.read();
        // A stop() reading beside this may have taken the chunk holding the text.
        if (done && !this.log.includes(text)) {
          throw new Error(
            `the process ended before logging ${text}:\n${this.log}`,
          );
        }
        if (!done) this.log += value;
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** The port the health and metrics endpoint listens on. */
  async port(): Promise<number> {
    await this.until('"msg":"serving health and metrics"');
    return Number(
      /"msg":"serving health and metrics","port":(\d+)/.exec(this.log)![1],
    );
  }

  /**
   * Sends SIGTERM and returns the exit code once the log is complete; a process still
   * running after 20 s is killed (exit code 137).
   */
  async stop(): Promise<number> {
    this.child.kill("SIGTERM");
    const deadline = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    try {
      for (
        let chunk = await this.#reader.read();
        !chunk.done;
        chunk = await this.#reader.read()
      ) {
        this.log += chunk.value;
      }
      await this.child.stdout.cancel();
      return (await this.child.status).code;
    } finally {
      clearTimeout(deadline);
    }
  }
}

/** The environment of a node, worker or admin command of namespace `beta` on `server`. */
export const env = (
  server: NatsServer,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  SCHEDULE_NAMESPACE: "beta",
  SCHEDULE_NATS_HOSTS: server.url,
  SCHEDULE_HTTP_PORT: "0",
  SCHEDULE_DEBUG: "false",
  ...extra,
});

/**
 * Writes into `dir` a CA (`ca.pem`), a server certificate for 127.0.0.1 and localhost
 * (`server.pem`, `server-key.pem`) and a client certificate (`client.pem`,
 * `client-key.pem`), both signed by the CA, with openssl.
 */
export async function makeCertificates(dir: string): Promise<void> {
  const openssl = async (...args: string[]) => {
    const { code, stderr } = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdin: "null",
      stderr: "piped",
    })
      .output();
    assert.equal(code, 0, decoder.decode(stderr));
  };
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
  );
  for (
    const [name, extension] of [[
      "server",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], [
      "client",
      "extendedKeyUsage=clientAuth",
    ]]
  ) {
    await openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}-key.pem`,
      "-out",
      `${name}.csr`,
    );
    await Deno.writeTextFile(`${dir}/${name}.ext`, `${extension}\n`);
    await openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    );
  }
}
