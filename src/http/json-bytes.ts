// Builds a response body from stored canonical JSON texts straight into one Buffer: each text
// is UTF-8 encoded once, at its final offset. The obvious `'[' + texts.join(',') + ']'` costs
// a join copy, a flatten of the concatenated string and a UTF-8 conversion inside uWS: 2-3x the
// CPU for a 50-kill (~200 KB) response: see bench/rest/json-bytes.bench.ts.

export class JsonBytes {
  private readonly parts: string[] = [];
  private readonly lengths: number[] = [];
  private total = 0;

  /** Append JSON text as is (envelope fragments, one stored kill). */
  raw(text: string): this {
    const n = Buffer.byteLength(text);
    this.parts.push(text);
    this.lengths.push(n);
    this.total += n;
    return this;
  }

  /** Append a JSON array of already-serialised values. */
  array(texts: readonly string[]): this {
    this.raw('[');
    for (let i = 0; i < texts.length; i++) {
      if (i > 0) this.raw(',');
      this.raw(texts[i]!);
    }
    return this.raw(']');
  }

  get byteLength(): number {
    return this.total;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.total);
    let offset = 0;
    const { parts, lengths } = this;
    for (let i = 0; i < parts.length; i++) {
      const n = lengths[i]!;
      const text = parts[i]!;
      // One-byte separators are written directly; a write() call costs more than the byte.
      if (n === 1) buf[offset] = text.charCodeAt(0);
      // byteLength === length only when every char is ASCII; latin1 then gives the same bytes
      // as utf8 with a plain copy instead of a transcode (about half the cost: bench below).
      else buf.write(text, offset, n, n === text.length ? 'latin1' : 'utf8');
      offset += n;
    }
    return buf;
  }
}
