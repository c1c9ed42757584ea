import { createPalisadeClient } from '../client/index.js';
import { CliError, DEFAULT_URL, EXIT, parse, print, required, say, serverUrl, UsageError } from './common.js';

const ADMIN_OPTIONS = { url: { type: 'string' }, 'admin-token': { type: 'string' } } as const;

const ADMIN_HELP = [
  `  --url URL              the service (default: $PALISADE_URL, else ${DEFAULT_URL})`,
  '  --admin-token TOKEN    the admin token (default: $PALISADE_ADMIN_TOKEN; prefer the variable,',
  '                         a flag shows in the process list)',
  '  -h, --help             show this help',
].join('\n');

export const KEYS_HELP = `Usage: palisade keys <create|revoke> [options]

Manage tenants' API keys with the admin token.

Commands:
  create --tenant T --name N   create a key for tenant T (the tenant exists from its first key);
                               prints {id, key, tenant, name, created_at} as JSON — the key is
                               shown only this once
  revoke ID                    revoke the key with this id at once

Run \`palisade keys <command> --help\` for its options.
`;

const CREATE_HELP = `Usage: palisade keys create --tenant TENANT --name NAME [options]

Creates an API key for TENANT and prints it as JSON: {id, key, tenant, name, created_at}.
The key is shown only here.

Options:
  --tenant TENANT        the tenant (^[a-z0-9][a-z0-9._-]{0,62}$)
  --name NAME            a label for the key
${ADMIN_HELP}
`;

const REVOKE_HELP = `Usage: palisade keys revoke ID [options]

Revokes the API key with this id (key_…) at once.

Options:
${ADMIN_HELP}
`;

function adminClient(command: string, values: { url?: string; 'admin-token'?: string }) {
  const token = values['admin-token'] ?? (process.env.PALISADE_ADMIN_TOKEN || undefined);
  if (!token)
    throw new UsageError('the admin token is needed: set PALISADE_ADMIN_TOKEN or pass --admin-token', command);
  return createPalisadeClient({ baseUrl: serverUrl(values.url), apiKey: token });
}

export async function keys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? process.stderr : process.stdout).write(KEYS_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === 'create') {
    const { values, positionals } = parse('keys create', rest, {
      ...ADMIN_OPTIONS,
      tenant: { type: 'string' },
      name: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(CREATE_HELP);
      return EXIT.ok;
    }
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'keys create');
    const tenant = required('keys create', 'tenant', values.tenant);
    const name = required('keys create', 'name', values.name);
    print(await adminClient('keys create', values).createApiKey({ tenant, name }));
    return EXIT.ok;
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse('keys revoke', rest, ADMIN_OPTIONS);
    if (values.help) {
      process.stdout.write(REVOKE_HELP);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one key id', 'keys revoke');
    const id = positionals[0]!;
    await adminClient('keys revoke', values).revokeApiKey(id);
    say(`keys revoke: revoked ${id}`);
    return EXIT.ok;
  }
  throw new CliError(
    `keys: unknown command ${JSON.stringify(sub)}\nRun \`palisade keys --help\` for usage.`,
    EXIT.usage,
  );
}
