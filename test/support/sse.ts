export type SseMessage =
  | { event: string; id: string | undefined; data: string; receivedAt: number }
  | { comment: string; receivedAt: number };

/** Reads a text/event-stream body message by message, as a browser's EventSource would parse it. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  private buffer = '';
  private done = false;
  private waiters: (() => void)[] = [];
  private readonly reader: ReadableStreamDefaultReader<string>;

  constructor(response: Response) {
    this.reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    void this.pump();
  }

  private async pump(): Promise<void> {
    const reader = this.reader;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.buffer += value;
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          this.parse(block);
        }
      }
    } catch {
      // The stream was cancelled by the test.
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private parse(block: string): void {
    const receivedAt = performance.now();
    const fields: Record<string, string> = {};
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.messages.push({ comment: line.slice(1).trim(), receivedAt });
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'data') data.push(value);
      else fields[name] = value;
    }
    if (data.length > 0 || fields.event) {
      this.messages.push({ event: fields.event ?? 'message', id: fields.id, data: data.join('\n'), receivedAt });
    }
    this.notify();
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  events(): { event: string; id: string | undefined; data: any; receivedAt: number }[] {
    return this.messages.flatMap((m) => ('event' in m ? [{ ...m, data: JSON.parse(m.data) }] : []));
  }

  get ended(): boolean {
    return this.done;
  }

  async waitFor(predicate: (reader: SseReader) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.done || Date.now() > deadline) {
        throw new Error(
          `SSE wait failed (${this.done ? 'stream ended' : 'timeout'}); got ${JSON.stringify(this.messages)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(100, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}
