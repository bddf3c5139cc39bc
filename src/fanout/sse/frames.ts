// Server-Sent Events frames (text/event-stream). A kill's JSON is one line (JSON.stringify never
// emits a raw newline), so it fits one `data:` field; the frame is built once per kill and the
// same string is written to every matching client.
export const RETRY_FRAME = 'retry: 2000\n\n';
export const PING_FRAME = ': ping\n\n';

export function killFrame(killmailId: number, json: string): string {
  return `id: ${killmailId}\nevent: killmail\ndata: ${json}\n\n`;
}

export function eventFrame(event: string, dataJson: string): string {
  return `event: ${event}\ndata: ${dataJson}\n\n`;
}

const TOTAL_VALUE = /"totalValue":(-?[0-9.eE+]+)/;
const KILL_ID = /"killmail_id":(\d+)/;

/** zkb.totalValue read from canonical JSON (preload rows carry no routing columns); 0 when absent. */
export function totalValueOf(json: string): number {
  const m = TOTAL_VALUE.exec(json);
  return m ? Number(m[1]) : 0;
}

/** The kill's own id: `killmail_id` is the first key of a canonical killmail. */
export function killIdOf(json: string): number {
  const m = KILL_ID.exec(json);
  return m ? Number(m[1]) : 0;
}
