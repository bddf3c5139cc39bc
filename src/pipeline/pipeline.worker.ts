// Piscina worker entry for the pipeline. Imports only core/ and pure pipeline/ modules.
import { workerData } from 'node:worker_threads';
import type { PipelineWorkerData } from './types.js';
import { createWorkerDeps } from './worker-deps.js';
import { createWorkerHandler } from './worker-runtime.js';

const data = workerData as PipelineWorkerData;

export default createWorkerHandler(data, createWorkerDeps(data.config, data.esiLimits));
