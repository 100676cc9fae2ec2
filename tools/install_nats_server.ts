/**
 * Finds nats-server, or installs it into the per-user cache, and prints its path.
 *
 * ```sh
 * deno run -A tools/install_nats_server.ts                 # any (NATS_SERVER_BIN, PATH, cache, else install the newest)
 * deno run -A tools/install_nats_server.ts --version 2.10  # a cached 2.10.x, else install one
 * deno run -A tools/install_nats_server.ts --dir ./bin     # cache root other than ~/.cache/schedule/nats-server
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ensureNatsServer } from "../lib/dev/binary.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { version: { type: "string" }, dir: { type: "string" } },
  });
  try {
    console.log(
      await ensureNatsServer({ version: values.version, cacheDir: values.dir }),
    );
  } catch (err) {
    console.error(`install_nats_server: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
