// Shape checks for ESI bodies: a 2xx body that fails one is a counted `wrong_shape` failure
// (ERR_ESI_BODY), never a crash and never a cached value.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** `/corporations/{id}/`, `/alliances/{id}/`: name and ticker. */
export function isEntityBody(b: unknown): boolean {
  return isObj(b) && isNonEmptyString(b['name']) && isNonEmptyString(b['ticker']);
}

export function isTypeBody(b: unknown): boolean {
  return isObj(b) && isNonEmptyString(b['name']) && isId(b['group_id']);
}

export function isGroupBody(b: unknown): boolean {
  return isObj(b) && isNonEmptyString(b['name']) && typeof b['category_id'] === 'number';
}

export function isSystemBody(b: unknown): boolean {
  return (
    isObj(b) &&
    isNonEmptyString(b['name']) &&
    typeof b['security_status'] === 'number' &&
    Number.isFinite(b['security_status']) &&
    isId(b['constellation_id'])
  );
}

export function isConstellationBody(b: unknown): boolean {
  return isObj(b) && isId(b['region_id']);
}

/** `GET /killmails/{id}/{hash}/`: the fields every later stage relies on. */
export function isKillmailBody(b: unknown): boolean {
  return (
    isObj(b) &&
    isId(b['killmail_id']) &&
    typeof b['killmail_time'] === 'string' &&
    isId(b['solar_system_id']) &&
    isObj(b['victim']) &&
    Array.isArray(b['attackers'])
  );
}
