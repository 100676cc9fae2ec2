/**
 * Secrets of HTTP jobs: a job names a secret, and only workers know its value, from their
 * environment or from a directory of files (such as a mounted Kubernetes Secret).
 *
 * @module
 */

import { InvalidJobError } from "../../errors.ts";

/** A secret name: a letter or digit, then letters, digits, `.`, `_` or `-`. */
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks a secret name: one that can name a file and an environment variable.
 *
 * @throws {InvalidJobError} When it cannot, without echoing it: given where a name is
 * expected, it may be the secret itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateSecretName } from "./secrets.ts";
 * validateSecretName("api-token");
 * assert.throws(() => validateSecretName("../etc/passwd"), /secret name/);
 * ```
 */
export function validateSecretName(name: unknown): void {
  if (typeof name !== "string" || !SECRET_NAME.test(name)) {
    throw new InvalidJobError(
      "HTTP option: a secret name must be a letter or digit then up to 127 letters, digits, ., _ or -",
    );
  }
}

/**
 * The environment variable a worker reads secret `name` from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { secretVariable } from "./secrets.ts";
 * assert.equal(secretVariable("api-token"), "SCHEDULE_SECRET_API_TOKEN");
 * ```
 */
export function secretVariable(name: string): string {
  return `SCHEDULE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * The value of secret `name`: the environment variable {@link secretVariable} when set
 * (and readable), else the file `name` in `dir` without its final newline; `undefined`
 * when neither holds it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSecret } from "./secrets.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/api-token`, "Bearer abc\n");
 * assert.equal(await readSecret("api-token", dir), "Bearer abc");
 * assert.equal(await readSecret("other", dir), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSecret(
  name: string,
  dir?: string,
): Promise<string | undefined> {
  try {
    const value = Deno.env.get(secretVariable(name));
    if (value !== undefined) return value;
  } catch {
    /* no permission to read the environment: the directory may hold it */
  }
  if (dir === undefined) return undefined;
  try {
    return (await Deno.readTextFile(`${dir}/${name}`)).replace(/\r?\n$/, "");
  } catch {
    return undefined;
  }
}

/**
 * Sets on `headers` the value of each secret header (header name → secret name).
 *
 * @returns `undefined`, or why a secret could not be used: its name, never a value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setSecretHeaders } from "./secrets.ts";
 * const headers = new Headers();
 * const problem = await setSecretHeaders(headers, { authorization: "nowhere-to-be-found" });
 * assert.match(problem!, /secret "nowhere-to-be-found" not found/);
 * ```
 */
export async function setSecretHeaders(
  headers: Headers,
  secretHeaders: Record<string, string>,
  dir?: string,
): Promise<string | undefined> {
  for (const [header, name] of Object.entries(secretHeaders)) {
    const value = await readSecret(name, dir);
    if (value === undefined) {
      return `secret "${name}" not found: set ${
        secretVariable(name)
      } or put a file ${name} in worker.secretsDir`;
    }
    try {
      headers.set(header, value);
    } catch {
      return `secret "${name}" is not a valid value for header ${header}`;
    }
  }
  return undefined;
}
