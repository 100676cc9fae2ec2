/**
 * The executable: a node, a worker, or an admin command. This is what `deno compile`
 * builds into `dist/schedule`; the command line lives in `lib/cli/`.
 *
 * ```sh
 * deno task start                          # a node; reads ./config/config.yml
 * deno task worker                         # a worker (same config, `worker` section)
 * deno task -q start ls                    # an admin command
 * ```
 *
 * @module
 */

import { main } from "./lib/cli/mod.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
