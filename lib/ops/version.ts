/**
 * The version of this package, from `deno.json`.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };

/** The package version, such as `0.1.0`. */
export const VERSION: string = denoJson.version;
