// OpenAPI 3.1 document built from the router's own route table, so every registered route is
// documented with the bounds that validate.ts enforces (test/unit/http/openapi.test.ts and
// test/integration/rest-openapi.test.ts check both directions).
import { COMPONENT_SCHEMAS, errorResponses } from './openapi-schemas.js';
import { openApiPath, type BodySpec, type JsonSchema, type ParamSpec, type RouteSpec } from './route-spec.js';
import type { ValueSpec } from './validate.js';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export function valueSchema(v: ValueSpec, where: 'text' | 'json'): JsonSchema {
  switch (v.type) {
    case 'integer':
      return { type: 'integer', minimum: v.min, maximum: v.max, ...(v.default !== undefined ? { default: v.default } : {}) };
    case 'integer_list':
      return {
        type: 'array',
        minItems: v.minItems,
        maxItems: v.maxItems,
        items: { type: 'integer', minimum: v.min, maximum: v.max },
        ...(where === 'text' ? { description: 'comma-separated' } : {}),
      };
    case 'string':
      return {
        type: 'string',
        maxLength: v.maxLength,
        ...(v.pattern ? { pattern: v.pattern.source } : {}),
        ...(v.enum ? { enum: [...v.enum] } : {}),
        ...(v.default !== undefined ? { default: v.default } : {}),
      };
    case 'boolean':
      return { type: 'boolean', ...(v.default !== undefined ? { default: v.default } : {}) };
  }
}

function parameter(p: ParamSpec): JsonSchema {
  return {
    name: p.name,
    in: p.in,
    required: p.in === 'path' ? true : p.required === true,
    description: p.description,
    schema: valueSchema(p.value, 'text'),
    ...(p.value.type === 'integer_list' ? { style: 'form', explode: false } : {}),
  };
}

function requestBody(b: BodySpec): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of b.fields) properties[f.name] = { ...valueSchema(f.value, 'json'), description: f.description };
  const required = b.fields.filter((f) => f.required).map((f) => f.name);
  return {
    required: true,
    description: b.description,
    content: { 'application/json': { schema: { type: 'object', required, properties } } },
  };
}

function responses(spec: RouteSpec): JsonSchema {
  const out: Record<string, JsonSchema> = {};
  const all = { ...spec.responses, ...errorResponses(405, 500) };
  for (const [status, r] of Object.entries(all)) {
    const type = r.contentType ?? 'application/json';
    out[status] = {
      description: r.description,
      headers: { 'x-request-id': { description: 'Echo of a sane incoming x-request-id, else generated', schema: { type: 'string' } } },
      ...(status === '204' ? {} : { content: { [type]: r.schema ? { schema: r.schema } : {} } }),
    };
  }
  return out;
}

function operation(spec: RouteSpec): JsonSchema {
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.tags ? { tags: [...spec.tags] } : {}),
    ...(spec.params && spec.params.length > 0 ? { parameters: spec.params.map(parameter) } : {}),
    ...(spec.body ? { requestBody: requestBody(spec.body) } : {}),
    responses: responses(spec),
  };
}

export function buildOpenApi(routes: readonly RouteSpec[], info: OpenApiInfo): Record<string, unknown> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of routes) {
    const path = openApiPath(spec.path);
    (paths[path] ??= {})[spec.method.toLowerCase()] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    paths,
    components: { schemas: COMPONENT_SCHEMAS },
  };
}
