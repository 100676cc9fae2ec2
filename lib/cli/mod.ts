/**
 * The command line of the executable `schedule`: services (`node`, `worker`) and admin
 * commands (`ls get set rm pause resume next nodes`).
 *
 * @module
 */

export { main } from "./main.ts";
