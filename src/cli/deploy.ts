import { type Deployment, type DeploymentState, FencedError, type PalisadeClient } from '../client/index.js';
import { DEPLOYMENT_STATES } from '../domain/deploymentStates.js';
import { formatDuration } from '../duration.js';
import {
  CliError,
  duration,
  EXIT,
  parse,
  print,
  required,
  SERVER_HELP,
  SERVER_OPTIONS,
  tenantClient,
  UsageError,
  wholeNumber,
} from './common.js';

export const DEPLOY_HELP = `Usage: palisade deploy <status|ready|promote|wait> --env ENV [--generation G] [--json] [options]

The operator's side of a handover (see \`palisade run --await-promotion\`), with the flags and
variables of \`run\`: key from $PALISADE_API_KEY or --key, service from $PALISADE_URL or --url.

Commands:
  status --env ENV [--generation G]      ENV's deployments, newest first (or generation G's)
  ready --env ENV --generation G         mark G ready_to_promote (it has caught up)
  promote --env ENV --generation G [--skip-catchup]
                                         promote G: issue its token, fencing the older generation
  wait --env ENV --generation G [--until STATE] [--timeout DURATION]
                                         wait until G reaches STATE (default ready_to_promote)

Output is one line per deployment; --json prints the service's JSON instead. Exit codes: 0 success;
1 failure (an error answer, the service unreachable, wait timed out); 3 fenced (G was fenced by a
newer generation); 64 usage error.

Run \`palisade deploy <command> --help\` for its options.
`;

const OUTPUT_HELP = `  --json                 print the service's JSON rather than one line per deployment
${SERVER_HELP}
  -h, --help             show this help`;

const HELP: Record<string, string> = {
  status: `Usage: palisade deploy status --env ENV [--generation G] [--json] [options]

Prints ENV's deployments, newest generation first (the first page, at most 100), or generation G's.

Options:
  --env ENV              the environment
  --generation G         one deployment: this generation's
${OUTPUT_HELP}
`,
  ready: `Usage: palisade deploy ready --env ENV --generation G [--json] [options]

Marks generation G of ENV ready_to_promote, as its \`palisade run --await-promotion\` does when the
command creates its ready file. Refused (409 invalid_transition) unless G is initializing or
catching_up (or ready already); exit 3 if G was fenced.

Options:
  --env ENV              the environment
  --generation G         the deployment's generation
${OUTPUT_HELP}
`,
  promote: `Usage: palisade deploy promote --env ENV --generation G [--skip-catchup] [--json] [options]

Promotes generation G of ENV: issues G's token, which fences the older generation in the same
transaction; G is promoting until its process runs as the leader (is_leader). Refused (409
invalid_transition) before G is ready_to_promote, unless --skip-catchup; exit 3 if G was fenced.

Options:
  --env ENV              the environment
  --generation G         the deployment's generation
  --skip-catchup         promote even if G has not said it caught up
${OUTPUT_HELP}
`,
  wait: `Usage: palisade deploy wait --env ENV --generation G [--until STATE] [--timeout DURATION] [--json] [options]

Waits (long-polling the service) until generation G of ENV has reached STATE or a later one, then
prints it. States in order: ${DEPLOYMENT_STATES.filter((state) => state !== 'fenced').join(', ')}.
Exit 1 when the timeout passes first, 3 when G is fenced.

Options:
  --env ENV              the environment
  --generation G         the deployment's generation
  --until STATE          the state to wait for (default ready_to_promote)
  --timeout DURATION     give up after this long (default 10m; 30s, 1h)
${OUTPUT_HELP}
`,
};

const PROGRESSION: readonly DeploymentState[] = DEPLOYMENT_STATES.filter((state) => state !== 'fenced');
/** The service answers a long-poll after at most a minute; ask for a little less. */
const LONG_POLL_MS = 30_000;

function describe(deployment: Deployment): string {
  const token = deployment.token ? `token ${deployment.token.deploy_generation}/${deployment.token.epoch}` : 'no token';
  return `${deployment.environment} generation ${deployment.deploy_generation}: ${deployment.state} (holder ${deployment.holder}, ${token}, since ${deployment.updated_at})`;
}

function output(json: boolean | undefined, value: Deployment | { items: Deployment[] }): void {
  if (json) {
    print(value);
    return;
  }
  const deployments = 'items' in value ? value.items : [value];
  process.stdout.write(deployments.map((deployment) => `${describe(deployment)}\n`).join(''));
}

/** A fenced generation is the expected "no" of the handover: exit 3, as `env fence` does. */
async function fencedExit<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof FencedError)
      throw new CliError(`fenced (${error.kind}, action ${error.action}): ${error.detail}`, EXIT.fenced);
    throw error;
  }
}

async function waitFor(
  client: PalisadeClient,
  env: string,
  generation: number,
  until: DeploymentState,
  timeoutMs: number,
): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  let deployment = await client.getDeployment(env, generation);
  for (;;) {
    if (deployment.state === 'fenced') {
      throw new CliError(`${env} generation ${generation} was fenced by a newer generation`, EXIT.fenced);
    }
    if (PROGRESSION.indexOf(deployment.state) >= PROGRESSION.indexOf(until)) return deployment;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new CliError(
        `${env} generation ${generation} is still ${deployment.state} after ${formatDuration(timeoutMs)}`,
      );
    }
    deployment = await client.getDeployment(env, generation, {
      wait: `${Math.min(remaining, LONG_POLL_MS)}ms`,
      state: deployment.state,
    });
  }
}

export async function deploy(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? process.stderr : process.stdout).write(DEPLOY_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!(sub in HELP)) {
    throw new CliError(
      `deploy: unknown command ${JSON.stringify(sub)}\nRun \`palisade deploy --help\` for usage.`,
      EXIT.usage,
    );
  }
  const command = `deploy ${sub}`;
  const { values } = parse(
    command,
    rest,
    {
      ...SERVER_OPTIONS,
      env: { type: 'string' },
      generation: { type: 'string' },
      json: { type: 'boolean' },
      'skip-catchup': { type: 'boolean' },
      until: { type: 'string' },
      timeout: { type: 'string' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP[sub]!);
    return EXIT.ok;
  }
  const only = (name: 'skip-catchup' | 'until' | 'timeout', where: string) => {
    if (values[name] !== undefined && sub !== where)
      throw new UsageError(`--${name} is an option of deploy ${where}`, command);
  };
  only('skip-catchup', 'promote');
  only('until', 'wait');
  only('timeout', 'wait');
  const env = required(command, 'env', values.env);
  const generation = wholeNumber(command, 'generation', values.generation);
  const { client } = tenantClient(command, values);
  switch (sub) {
    case 'status':
      output(
        values.json,
        generation === undefined
          ? await client.listDeployments(env, { limit: 100 })
          : await client.getDeployment(env, generation),
      );
      return EXIT.ok;
    case 'ready':
      output(
        values.json,
        await fencedExit(client.markDeploymentReady(env, required(command, 'generation', generation))),
      );
      return EXIT.ok;
    case 'promote':
      output(
        values.json,
        await fencedExit(
          client.promoteDeployment(env, required(command, 'generation', generation), {
            skip_catchup: values['skip-catchup'] ?? false,
          }),
        ),
      );
      return EXIT.ok;
    default: {
      const until = (values.until ?? 'ready_to_promote') as DeploymentState;
      if (!PROGRESSION.includes(until)) {
        throw new UsageError(
          `--until must be one of ${PROGRESSION.join(', ')}, got ${JSON.stringify(values.until)}`,
          command,
        );
      }
      const timeoutMs = duration(command, 'timeout', values.timeout ?? '10m');
      output(values.json, await waitFor(client, env, required(command, 'generation', generation), until, timeoutMs));
      return EXIT.ok;
    }
  }
}
