/**
 * Operations: running a node or a worker as a process (config, logs, health, metrics,
 * discovery); what the command line uses of it.
 *
 * @module
 */

export {
  type Config,
  DEFAULT_CONFIG,
  loadConfig,
  parseConfig,
} from "./config.ts";
export { listProcesses, type ProcessStatus } from "./discovery.ts";
export { runService, stopOnSignals } from "./service.ts";
export { VERSION } from "./version.ts";
