import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../src/api/schemas.js';
import { SERVICE_VARIABLES } from '../src/config.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { type ServiceProcess, startService, stopAllServices } from './support/processes.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** The admin token the walkthrough exports; the service under test is started with it. */
const README_ADMIN_TOKEN = 'change-me-to-a-long-secret';

type Step = { command: string; expected: string | null; expectedJson: unknown };

/** The text of the section under `heading`, up to the next heading of its level or above. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/**
 * The shell commands of a section in order, each with the output documented under it: the `# …`
 * lines that follow it (a leading status code is documentation: curl -s prints only the body; two
 * or more spaces then `(…)` is a remark), or a ```json block right after its ```sh block.
 */
function steps(text: string): Step[] {
  const result: Step[] = [];
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  blocks.forEach(([, language, body], index) => {
    if (language !== 'sh') return;
    const lines = body!.replace(/\\\n\s*/g, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '' || line.startsWith('#')) continue;
      const comments: string[] = [];
      while (lines[i + 1]?.startsWith('# ') || lines[i + 1] === '#') comments.push(lines[++i]!.slice(2));
      const documented = comments
        .filter((comment) => !/^\w+ .*:$/.test(comment) || comment.startsWith('{'))
        .map((comment) => comment.replace(/ {2,}\(.*\)$/, '').trim())
        .join('');
      result.push({
        command: line,
        expected: documented === '' ? null : documented.replace(/^\d{3} /, ''),
        expectedJson: undefined,
      });
    }
    const next = blocks[index + 1];
    if (
      next?.[1] === 'json' &&
      text.slice(blocks[index]!.index! + blocks[index]![0].length, next.index).trim() === ''
    ) {
      result.at(-1)!.expectedJson = JSON.parse(next[2]!);
    }
  });
  return result;
}

/** `…` in the README stands for any text (ids, times, secrets, members left out). */
function matchesDocumented(actual: string, documented: string): boolean {
  const pattern = documented
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}

/** Like toEqual, with "…" in the documented JSON matching any value. */
function masked(documented: unknown, actual: unknown): unknown {
  if (documented === '…') return actual;
  if (Array.isArray(documented) && Array.isArray(actual)) return documented.map((item, i) => masked(item, actual[i]));
  if (documented && typeof documented === 'object' && actual && typeof actual === 'object') {
    return Object.fromEntries(
      Object.entries(documented).map(([key, value]) => [key, masked(value, (actual as Record<string, unknown>)[key])]),
    );
  }
  return documented;
}

/** One bash that runs the walkthrough's commands in order, so its exports carry over as in a terminal. */
class Shell {
  private readonly bash: ChildProcessWithoutNullStreams;
  private output = '';
  private count = 0;

  constructor(cwd: string) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env: { PATH: process.env.PATH!, HOME: cwd } });
    this.bash.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.bash.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
  }

  async run(command: string, timeoutMs = 20_000): Promise<string> {
    const marker = `__step_${++this.count}_done__`;
    this.output = '';
    this.bash.stdin.write(`${command}\necho; echo ${marker}\n`);
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(marker)) {
      if (Date.now() > deadline) throw new Error(`\`${command}\` did not finish; output so far:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.output.slice(0, this.output.indexOf(marker)).trim();
  }

  close(): void {
    this.bash.kill('SIGKILL');
  }
}

const work = mkdtempSync(join(tmpdir(), 'palisade-readme-'));
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await stopAllServices();
  rmSync(work, { recursive: true, force: true });
});

async function freshService(): Promise<ServiceProcess> {
  if (POSTGRES_URL) {
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());
    return startService({ DATABASE_URL: scratch.url, PALISADE_ADMIN_TOKEN: README_ADMIN_TOKEN });
  }
  return startService({
    PALISADE_DATA_DIR: mkdtempSync(join(work, 'data-')),
    PALISADE_ADMIN_TOKEN: README_ADMIN_TOKEN,
  });
}

describe('the README, verbatim', () => {
  it('says nothing is missing that the service has, and states its rules and settings', () => {
    expect(README).not.toMatch(/not built yet/);
    expect(README).not.toMatch(/shared design\s+folder/);
    expect(README).toContain(`\`${NAME_PATTERN.source}\``);
    // The PostgreSQL start-up needs the database to exist.
    expect(section('Run it')).toMatch(/^createdb .*palisade\b/m);
    const table = section('Configuration');
    expect(SERVICE_VARIABLES.filter((name) => !table.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('its walkthroughs (keys, takeover, handover, limits, webhooks) print what it documents, in order, on a fresh server', async () => {
    const service = await freshService();
    const shell = new Shell(work);
    cleanups.push(() => shell.close());
    const walkthrough = [
      ...steps(section('A takeover, step by step')),
      ...steps(section('The zero-downtime handover')),
      ...steps(section('Retries, limits and hostile input')),
      ...steps(section('Webhooks')).slice(0, 1),
    ];
    expect(walkthrough.length).toBeGreaterThan(15);
    let apiKey: string | undefined;
    const mismatches: string[] = [];
    for (const step of walkthrough) {
      // The test starts the service itself, on a port of its own.
      if (/\bnpm start\b/.test(step.command)) continue;
      let command = step.command.replaceAll('localhost:8080', `127.0.0.1:${service.port}`);
      if (command === 'export KEY=pal_…') command = `export KEY=${apiKey}`;
      // Loopback is a private address: the README's receiver stands for a public one.
      command = command.replace(
        'https://orchestrator.example.com/hooks/palisade',
        'https://93.184.215.14/hooks/palisade',
      );
      const output = await shell.run(command);
      apiKey ??= /"key":"(pal_[^"]+)"/.exec(output)?.[1];
      if (
        step.expected !== null &&
        !matchesDocumented(output, step.expected.replace('https://orchestrator.example.com/hooks/palisade', '…'))
      ) {
        mismatches.push(`${step.command}\n  documented: ${step.expected}\n  printed:    ${output}`);
      }
      if (step.expectedJson !== undefined) {
        const printed = JSON.parse(output) as unknown;
        try {
          expect(printed).toEqual(masked(step.expectedJson, printed));
        } catch {
          mismatches.push(
            `${step.command}\n  documented: ${JSON.stringify(step.expectedJson)}\n  printed:    ${output}`,
          );
        }
      }
    }
    expect(mismatches.join('\n\n')).toBe('');
  }, 120_000);

  it('its watch stream, opened before the takeover, prints the events it documents', async () => {
    const service = await freshService();
    const shell = new Shell(work);
    cleanups.push(() => shell.close());
    const [watch] = steps(section('Watching instead of polling'));
    expect(watch?.command).toMatch(/\/watch\b/);
    const local = (command: string) => command.replaceAll('localhost:8080', `127.0.0.1:${service.port}`);
    let apiKey: string | undefined;
    for (const step of steps(section('A takeover, step by step'))) {
      if (/\bnpm start\b/.test(step.command)) continue;
      const command = step.command === 'export KEY=pal_…' ? `export KEY=${apiKey}` : local(step.command);
      // The stream is opened as generation 2 is about to take over, as the section tells it.
      if (/"deploy_generation": 2/.test(command)) {
        await shell.run(`${local(watch!.command)} > watch.out & WATCH=$!; sleep 0.5`);
      }
      const output = await shell.run(command);
      apiKey ??= /"key":"(pal_[^"]+)"/.exec(output)?.[1];
    }
    await shell.run('sleep 0.5; kill $WATCH');
    const printed = readFileSync(join(work, 'watch.out'), 'utf8').replaceAll('\n', '');
    expect(matchesDocumented(printed, watch!.expected!), `documented: ${watch!.expected}\nprinted:    ${printed}`).toBe(
      true,
    );
  }, 60_000);
});
