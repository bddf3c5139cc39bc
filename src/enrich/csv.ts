// A small RFC 4180 CSV reader for the fuzzwork SDE dumps: quoted fields may hold commas, quotes
// ("" escapes) and line breaks (invTypes descriptions do). One pass over the text, no regex.

const QUOTE = 34; // "
const COMMA = 44; // ,
const CR = 13;
const LF = 10;

/** Calls `onRow` for every record, header included; CRLF and LF line ends both work. */
export function parseCsv(text: string, onRow: (fields: string[]) => void): void {
  let fields: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let rowHasData = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE && field.length === 0) {
      const end = readQuoted(text, i + 1);
      field = end.value;
      i = end.next;
      rowHasData = true;
      continue;
    }
    if (c === COMMA) {
      fields.push(field);
      field = '';
      rowHasData = true;
      i++;
      continue;
    }
    if (c === LF || c === CR) {
      if (rowHasData || field.length > 0) {
        fields.push(field);
        onRow(fields);
      }
      fields = [];
      field = '';
      rowHasData = false;
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === COMMA || d === LF || d === CR) break;
      i++;
    }
    field += text.slice(start, i);
    rowHasData = true;
  }
  if (rowHasData || field.length > 0) {
    fields.push(field);
    onRow(fields);
  }
}

/** Reads a quoted field starting after its opening quote; an unterminated one runs to the end. */
function readQuoted(text: string, from: number): { value: string; next: number } {
  let value = '';
  let i = from;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q === -1) return { value: value + text.slice(i), next: text.length };
    value += text.slice(i, q);
    if (text.charCodeAt(q + 1) === QUOTE) {
      value += '"';
      i = q + 2;
      continue;
    }
    return { value, next: q + 1 };
  }
}

/** Column index by header name; -1 when absent. */
export function columnIndex(header: readonly string[], name: string): number {
  return header.findIndex((h) => h.trim().toLowerCase() === name.toLowerCase());
}
