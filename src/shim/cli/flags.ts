/**
 * The shim CLI as containerd invokes it (shim-protocol §2.1): Go `flag`-style
 * options (`-name value`, `-name=value`, `--name`), then the action. Unknown
 * flags are tolerated so the shim outlives containerd upgrades.
 */

export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  socket: string;
  debug: boolean;
  version: boolean;
  info: boolean;
  /** The positional action: start, delete, or the internal serve. */
  action: string;
  /** Flags we did not recognise, kept for the log. */
  unknown: string[];
}

const stringFlags = {
  namespace: 'namespace',
  address: 'address',
  'publish-binary': 'publishBinary',
  id: 'id',
  bundle: 'bundle',
  socket: 'socket',
  'debug-socket': undefined,
} as const;

const boolFlags = { debug: 'debug', v: 'version', version: 'version', info: 'info' } as const;

function isTrue(value: string): boolean {
  return value === '' || value === 'true' || value === '1' || value === 't' || value === 'TRUE' || value === 'True';
}

export function parseFlags(argv: readonly string[]): ShimFlags {
  const flags: ShimFlags = {
    namespace: '',
    address: '',
    publishBinary: '',
    id: '',
    bundle: '',
    socket: '',
    debug: false,
    version: false,
    info: false,
    action: '',
    unknown: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    if (name in boolFlags) {
      flags[boolFlags[name as keyof typeof boolFlags]] = inline === undefined ? true : isTrue(inline);
    } else if (name in stringFlags) {
      const value = inline ?? argv[++i] ?? '';
      const key = stringFlags[name as keyof typeof stringFlags];
      if (key !== undefined) flags[key] = value;
    } else {
      flags.unknown.push(arg);
      // An unknown flag with a separate value would swallow the action; Go would have failed here anyway.
    }
  }
  flags.action = argv[i] ?? '';
  return flags;
}
