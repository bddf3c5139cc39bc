// Limits that several stages must agree on: the WebSocket hub enforces them per socket, /websocket
// advertises them, REST validates ids against them. One declaration, so they cannot drift apart.

/** Systems one WebSocket client may be subscribed to at once (a running total per socket). */
export const MAX_SYSTEMS = 10_000;
/** Characters one WebSocket client may be subscribed to at once (a running total per socket). */
export const MAX_CHARACTERS = 50_000;
/** Solar system ids are 1..50,000,000: k-space, wormhole and abyssal ranges all fit below. */
export const MAX_SYSTEM_ID = 50_000_000;
