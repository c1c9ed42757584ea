const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * The one duration syntax of the configuration and the CLI: a number and a unit (`250ms`, `1.5s`,
 * `10s`, `5m`, `2h`, `1d`). A bare number is refused, as it would be milliseconds to one reader and
 * seconds to another. Returns milliseconds (whole), or why the text is not a duration.
 */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (match) return { ms: Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]) };
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
    return {
      error: `${JSON.stringify(trimmed)} has no unit: write ${trimmed}ms or ${trimmed}s (units: ms, s, m, h, d)`,
    };
  }
  return { error: `${JSON.stringify(trimmed)} is not a duration such as 250ms, 1.5s, 10s, 5m, 2h or 1d` };
}

/** `10s` for whole seconds, else `1500ms`: a duration as parseDuration reads it back. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
