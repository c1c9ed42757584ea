/** One dispatched Server-Sent Event. */
export type SseMessage = {
  /** The `event:` field; `message` when the event named none. */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
  /** The last event id seen on the stream so far (it carries over to events without an `id:`). */
  id: string | undefined;
  /** A `retry:` field's reconnection delay in milliseconds, when this event carried one. */
  retry: number | undefined;
};

/**
 * Parses a `text/event-stream` body as the HTML Living Standard describes: lines end in CRLF, LF
 * or CR; `:` starts a comment (heartbeats); a blank line dispatches the event; an event without
 * data is not dispatched; an unterminated event at the end of the stream is dropped. `onChunk` is
 * called for every chunk read, comments included (for idle detection). Aborting `signal` cancels
 * the body, so the iteration ends even when the body does not follow the request's signal.
 */
export async function* parseEventStream(
  body: ReadableStream<Uint8Array>,
  onChunk?: () => void,
  signal?: AbortSignal,
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  const decoder = new TextDecoder();
  let buffer = '';
  let eventType = '';
  let data: string[] = [];
  let lastId: string | undefined;
  let retry: number | undefined;

  const take = (line: string): SseMessage | null => {
    if (line === '') {
      const message =
        data.length === 0 ? null : { event: eventType || 'message', data: data.join('\n'), id: lastId, retry };
      eventType = '';
      data = [];
      retry = undefined;
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventType = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    return null;
  };

  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onChunk?.();
      buffer += decoder.decode(value, { stream: true });
      const messages: SseMessage[] = [];
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== '\n' && char !== '\r') continue;
        // A CR at the end of the chunk may be the first half of a CRLF: wait for the next chunk.
        if (char === '\r' && i + 1 === buffer.length) break;
        const message = take(buffer.slice(start, i));
        if (message) messages.push(message);
        if (char === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
      for (const message of messages) yield message;
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    await reader.cancel().catch(() => {});
  }
}
