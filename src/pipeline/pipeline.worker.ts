// Piscina worker entry for the pipeline. Imports only core/ and pure pipeline/ modules.
import { parentPort, workerData } from 'node:worker_threads';
import { nameThisThread, niceThisThread } from '../core/threads.js';
import type { PipelineWorkerData } from './types.js';
import { createWorkerDeps } from './worker-deps.js';
import { createWorkerHandler } from './worker-runtime.js';

const data = workerData as PipelineWorkerData;
nameThisThread('wk-pipeline');
niceThisThread(data.config.nice);

const deps = createWorkerDeps(data.config, data.esiLimits);
export default createWorkerHandler(data, { ...deps, post: (m) => parentPort?.postMessage(m) });
