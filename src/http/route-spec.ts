// The route table's types. One RouteSpec drives three things: the uWS registration, the
// validation of path/query/body (validate.ts) and the OpenAPI document (openapi.ts).
import type { RequestCtx } from './respond.js';
import type { FieldValue, ValueSpec } from './validate.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Schema fragment as it appears in the OpenAPI document. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ParamSpec {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly description: string;
  readonly value: ValueSpec;
  readonly required?: boolean;
  /** Error message when this parameter is rejected (default "Invalid parameters"). */
  readonly message?: string;
}

export interface BodyFieldSpec {
  readonly name: string;
  readonly description: string;
  readonly value: ValueSpec;
  readonly required?: boolean;
  readonly message?: string;
}

export interface BodySpec {
  /** Only JSON bodies are read; other content types get 415 (code bad_request). */
  readonly fields: readonly BodyFieldSpec[];
  readonly description: string;
  /** Byte cap; default MAX_BODY_BYTES (1 MiB). */
  readonly maxBytes?: number;
}

export interface ResponseSpec {
  readonly description: string;
  /** Default application/json. */
  readonly contentType?: 'application/json' | 'text/plain' | 'text/html' | 'text/event-stream';
  readonly schema?: JsonSchema;
}

/** Validated inputs, by parameter/field name. Accessors throw on a name the spec did not declare. */
export class RouteInput {
  readonly values = new Map<string, FieldValue>();
  /** Request headers the spec asked for (lower-case names); allocated only for such routes. */
  private headerValues: Map<string, string> | undefined;

  setHeader(name: string, value: string): void {
    (this.headerValues ??= new Map()).set(name, value);
  }

  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v !== 'number') throw new TypeError(`route input ${name} is not an integer (${typeof v})`);
    return v;
  }

  ints(name: string): readonly number[] {
    const v = this.values.get(name);
    if (!Array.isArray(v)) throw new TypeError(`route input ${name} is not an integer list`);
    return v as readonly number[];
  }

  str(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== 'string') throw new TypeError(`route input ${name} is not a string`);
    return v;
  }

  optional(name: string): FieldValue | undefined {
    return this.values.get(name);
  }

  header(name: string): string {
    return this.headerValues?.get(name) ?? '';
  }
}

export interface RouteSpec {
  readonly method: HttpMethod;
  /** uWS pattern with `:name` parameters, e.g. /api/v1/kills/system/:system_id */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly params?: readonly ParamSpec[];
  readonly body?: BodySpec;
  /** Lower-case request header names the handler reads (copied before the handler runs). */
  readonly headers?: readonly string[];
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** May respond synchronously or return a promise; after an await every write goes through send(). */
  readonly handler: (ctx: RequestCtx, input: RouteInput) => void | Promise<void>;
}

/** `/a/:id/b` → `/a/{id}/b` (OpenAPI path template). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Names of the `:params` in pattern order (uWS getParameter takes their index). */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}
