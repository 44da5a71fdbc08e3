/**
 * The one I/O module of config/: reads the files the pure parsers take,
 * resolves chap-secrets `@/path` secrets, checks secret-file permissions the
 * way pppd does (`check_access`: warn on group/world access), and creates the
 * embedded default setup (a chap-secrets file with one user and a random
 * password, mode 0600) when nothing is configured.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { formatSecretLine, parseChapSecrets, type ChapSecret } from './chap-secrets.js';
import { isRadiusPlugin, mergeLegacy, type LegacySources } from './merge.js';
import { parsePppOptions, type LeadArguments, type OptionNote, type PppOptions } from './ppp-options.js';
import { parsePptpdConf } from './pptpd-conf.js';
import { defaultConfig, parseTunpppJson, validateConfig, type Config } from './schema.js';
import type { ConfigWarning } from './warnings.js';
import { readWords } from './words.js';
import { parseXl2tpdConf, xl2tpdPppArguments } from './xl2tpd-conf.js';
import { parseRadiusclientConf, radiusFromRadiusclient } from './radiusclient-conf.js';

/** pppd radius plugin's default configuration file (radius.c config_file). */
export const RADIUSCLIENT_CONF = '/etc/radiusclient/radiusclient.conf';

/** Where to read configuration from: tunppp.json, the legacy files, or both (tunppp.json laid over them). */
export interface LoadOptions {
  /** tunppp.json; with pptpdConf/xl2tpdConf, its keys are laid over theirs. */
  config?: string;
  /** /etc/pptpd.conf (its `option` file is read too). */
  pptpdConf?: string;
  /** pptpd's `-o FILE`: the pppd options file, in place of pptpd.conf's `option` line (OpenWrt starts pptpd this way). */
  pptpdOptions?: string;
  /** /etc/xl2tpd/xl2tpd.conf (its `pppoptfile` is read too). */
  xl2tpdConf?: string;
  /** chap-secrets; default: the Config's auth.chapSecrets. */
  chapSecrets?: string;
  /** Base for relative paths (the CLI's cwd). */
  cwd?: string;
  /** pppd's own options file, which pppd reads when pptpd.conf names none (default /etc/ppp/options). */
  systemPppOptions?: string;
}

/** A loaded configuration with its secrets and warnings. */
export interface LoadedConfig {
  config: Config;
  /** chap-secrets entries, `@/path` secrets already read. */
  secrets: ChapSecret[];
  warnings: ConfigWarning[];
  /** Every file read, in order. */
  sources: string[];
  /** What each pppd option read does (not applicable ones say why). */
  notes?: OptionNote[];
}

/** Reads a text file; a missing or unreadable file is a ConfigError naming it. */
export async function readConfigText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('CONFIG_READ', `${what} not found`, { file: path }, `create it or give the right path`);
    if (code === 'EACCES') throw new ConfigError('CONFIG_READ', `${what} is not readable (permission denied)`, { file: path }, 'run as root or fix the file permissions');
    if (code === 'EISDIR') throw new ConfigError('CONFIG_READ', `${what} is a directory`, { file: path }, 'give the path of the file inside it');
    throw new ConfigError('CONFIG_READ', `cannot read ${what}: ${(err as Error).message}`, { file: path }, 'check the path');
  }
}

async function permissionWarning(path: string): Promise<ConfigWarning | undefined> {
  try {
    const s = await stat(path);
    if ((s.mode & 0o077) !== 0) {
      return { file: path, message: `secret file has group/world access (mode ${(s.mode & 0o777).toString(8)})`, hint: `chmod 600 ${path}` };
    }
  } catch {
    // Already reported by the read.
  }
  return undefined;
}

/** Reads chap-secrets and the `@/path` secrets it refers to. */
export async function loadSecrets(path: string): Promise<{ secrets: ChapSecret[]; warnings: ConfigWarning[]; sources: string[] }> {
  const text = await readConfigText(path, 'chap-secrets');
  const parsed = parseChapSecrets(text, path);
  const warnings = [...parsed.warnings];
  const sources = [path];
  const w = await permissionWarning(path);
  if (w) warnings.push(w);
  for (const e of parsed.entries) {
    if (!e.secretFile) continue;
    let t: string;
    try {
      t = await readFile(e.secretFile, 'utf8');
    } catch (err) {
      throw new ConfigError('CONFIG_READ', `can't open indirect secret file ${e.secretFile} for '${e.client}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { file: path, line: e.line }, `create ${e.secretFile} containing the password, or write the password in place of @${e.secretFile}`);
    }
    const first = readWords(t, e.secretFile)[0];
    if (!first) {
      throw new ConfigError('CONFIG_VALUE', `no secret in indirect secret file ${e.secretFile}`, { file: path, line: e.line }, `put the password on the first line of ${e.secretFile}`);
    }
    e.secret = first.text;
    sources.push(e.secretFile);
    const pw = await permissionWarning(e.secretFile);
    if (pw) warnings.push(pw);
  }
  return { secrets: parsed.entries, warnings, sources };
}

async function optionsFile(path: string | undefined, base: string, sources: string[], lead?: LeadArguments): Promise<PppOptions | undefined> {
  if (!path) return lead?.words.length ? parsePppOptions('', lead.file, lead) : undefined;
  const p = isAbsolute(path) ? path : resolve(base, path);
  sources.push(p);
  return parsePppOptions(await readConfigText(p, 'pppd options file'), p, lead);
}

/** The JSON object of a tunppp.json laid over legacy files; syntax errors as parseTunpppJson reports them. */
function overlayJson(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    parseTunpppJson(text, file); // throws the located syntax error
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('CONFIG_SCHEMA', 'expected a JSON object', { file, line: 1 }, 'write { "key": value, ... }');
  }
  return value as Record<string, unknown>;
}

/** radius.so in an options file: read radiusclient.conf (radius-config-file) and its servers file, as the plugin does. */
async function radiusSources(options: (PppOptions | undefined)[], base: string, sources: string[]): Promise<(NonNullable<LegacySources['radius']> & { warnings: ConfigWarning[] }) | undefined> {
  const withPlugin = options.find((o) => o?.plugins.some((p) => isRadiusPlugin(p.value) && /radius\.so$/.test(p.value)));
  if (!withPlugin) return undefined;
  const opt = withPlugin.pluginOptions.filter((p) => p.option === 'radius-config-file').pop();
  const confPath = opt ? (isAbsolute(opt.args[0]!) ? opt.args[0]! : resolve(base, opt.args[0]!)) : RADIUSCLIENT_CONF;
  sources.push(confPath);
  const conf = parseRadiusclientConf(await readConfigText(confPath, 'radiusclient.conf (pppd radius plugin)'), confPath);
  const servers = conf.values.get('servers');
  if (!servers || servers.value === '') {
    throw new ConfigError('CONFIG_MISSING', 'no "servers" line: radiusclient keeps the RADIUS secrets in that file', { file: confPath }, 'add e.g. servers /etc/radiusclient/servers');
  }
  const serversPath = isAbsolute(servers.value) ? servers.value : resolve(dirname(confPath), servers.value);
  sources.push(serversPath);
  const r = radiusFromRadiusclient(conf, await readConfigText(serversPath, 'radiusclient servers file'), serversPath);
  return { radius: r.radius, file: confPath, warnings: r.warnings };
}

/** Loads tunppp.json and/or the legacy files into one Config with its secrets. */
export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const cwd = opts.cwd ?? process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const sources: string[] = [];
  const warnings: ConfigWarning[] = [];
  const notes: OptionNote[] = [];
  let config: Config;
  if (opts.pptpdConf || opts.xl2tpdConf) {
    const src: LegacySources = {};
    const all: PppOptions[] = [];
    let base = cwd;
    if (opts.pptpdConf) {
      const p = abs(opts.pptpdConf);
      sources.push(p);
      base = dirname(p);
      const conf = parsePptpdConf(await readConfigText(p, 'pptpd.conf'), p);
      // pptpd -o FILE wins over the "option" line (pptpd.c reads the line only when -o was not given).
      const given = opts.pptpdOptions !== undefined ? abs(opts.pptpdOptions) : undefined;
      if (given !== undefined && conf.option) {
        const named = isAbsolute(conf.option.value) ? conf.option.value : resolve(dirname(p), conf.option.value);
        if (named !== given) warnings.push({ file: p, line: conf.option.line, message: `option ${conf.option.value} is not read: --pptpd-options ${given} replaces it, as pptpd's -o does`, hint: 'remove the line, or drop --pptpd-options' });
      }
      // pptpd passes no options file to pppd without "option"; pppd then reads /etc/ppp/options if it exists.
      const system = opts.systemPppOptions ?? '/etc/ppp/options';
      const options = await optionsFile(given ?? conf.option?.value ?? (existsSync(system) ? system : undefined), dirname(p), sources);
      if (given === undefined && !conf.option && !options) {
        warnings.push({ file: p, message: `no "option" line and no ${system}: pppd would run with its defaults (no MPPE, any authentication protocol)`, hint: 'add e.g. option /etc/ppp/pptpd-options, or give --pptpd-options FILE (pptpd -o)' });
      }
      src.pptpd = options ? { conf, options } : { conf };
      if (options) all.push(options);
    }
    if (opts.xl2tpdConf) {
      const p = abs(opts.xl2tpdConf);
      sources.push(p);
      const conf = parseXl2tpdConf(await readConfigText(p, 'xl2tpd.conf'), p);
      const lns = conf.lns.find((l) => l.name.toLowerCase() === 'default') ?? conf.lns[0];
      // xl2tpd puts its own pppd arguments (require chap → require-chap, …) before "file pppoptfile": read them first.
      const args = lns ? xl2tpdPppArguments(conf, lns) : undefined;
      const options = await optionsFile(lns?.pppoptfile?.value, dirname(p), sources, args?.lead);
      // Keys that pass pppd nothing are explained after the arguments xl2tpd passes, ahead of the file's options.
      if (args?.notes.length) {
        if (options) options.notes.splice(options.notes.filter((n) => n.file === p).length, 0, ...args.notes);
        else notes.push(...args.notes);
      }
      src.xl2tpd = options ? { conf, options } : { conf };
      if (options) all.push(options);
    }
    for (const o of all) notes.push(...o.notes);
    // pppd's chap-secrets option names the users file; --chap-secrets wins.
    const chapOption = all.find((o) => o.chapSecrets)?.chapSecrets?.value;
    src.chapSecretsPath = abs(opts.chapSecrets ?? (chapOption !== undefined ? resolve(base, chapOption) : '/etc/ppp/chap-secrets'));
    const radius = await radiusSources(all, base, sources);
    if (radius) {
      src.radius = { radius: radius.radius, file: radius.file };
      warnings.push(...radius.warnings);
    }
    if (opts.config) {
      const p = abs(opts.config);
      sources.push(p);
      const text = await readConfigText(p, 'tunppp config');
      src.overlay = { value: overlayJson(text, p), file: p, text };
    }
    const merged = mergeLegacy(src);
    config = merged.config;
    warnings.push(...merged.warnings);
  } else if (opts.config) {
    const p = abs(opts.config);
    sources.push(p);
    config = parseTunpppJson(await readConfigText(p, 'tunppp config'), p);
  } else {
    throw new ConfigError('CONFIG_MISSING', 'no configuration given', { file: cwd }, 'pass --config tunppp.json, or --pptpd-conf/--xl2tpd-conf, or use the embedded default');
  }
  if (opts.chapSecrets) config = { ...config, auth: { ...config.auth, chapSecrets: abs(opts.chapSecrets) } };
  const out = (secrets: ChapSecret[]): LoadedConfig => ({ config, secrets, warnings, sources, ...(notes.length ? { notes } : {}) });
  // With RADIUS as the only backend a missing chap-secrets is fine (it would only add fixed addresses).
  if (!config.auth.backends.includes('chap-secrets') && !existsSync(abs(config.auth.chapSecrets))) return out([]);
  const s = await loadSecrets(abs(config.auth.chapSecrets));
  sources.push(...s.sources);
  warnings.push(...s.warnings);
  return out(s.secrets);
}

/** Credentials created for the embedded default, to print once. */
export interface CreatedCredentials {
  path: string;
  user: string;
  password: string;
}

/** A password from the system CSPRNG: 18 bytes → 24 URL-safe base64 characters. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Creates `path` as a chap-secrets file with one user and a random password,
 * mode 0600 (parent directory created 0700 if missing). Refuses to overwrite.
 */
export async function createDefaultSecrets(path: string, user = 'vpn', server = '*'): Promise<CreatedCredentials> {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
    throw new ConfigError('CONFIG_VALUE', `user name '${user}' is not usable`, { file: path }, 'use letters, digits, . _ @ - (1-64 characters)');
  }
  const password = randomPassword();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let fh;
  try {
    fh = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError('CONFIG_EXISTS', 'chap-secrets already exists; not overwriting it', { file: path }, 'add users to it by hand, or remove it to start over');
    }
    throw new ConfigError('CONFIG_WRITE', `cannot create chap-secrets: ${(err as Error).message}`, { file: path }, 'check the directory exists and is writable');
  }
  try {
    await fh.writeFile(`# Secrets for authentication using CHAP, created by tunppp\n# client\tserver\tsecret\tIP addresses\n${formatSecretLine(user, server, password, '*')}\n`);
  } finally {
    await fh.close();
  }
  await chmod(path, 0o600); // the umask may have narrowed or the file system widened the mode
  return { path, user, password };
}

/** The built-in configuration used when no config file exists. */
export function embeddedDefaultConfig(chapSecrets: string): Config {
  return validateConfig({
    ...defaultConfig(),
    pools: [{ name: 'default', local: '192.168.99.1', ranges: ['192.168.99.10-192.168.99.250'] }],
    auth: { chapSecrets, required: true },
  }, '(embedded default)');
}

/**
 * The embedded default: the built-in Config, and `chapSecrets` created with one
 * user and a random password if it does not exist yet (`created` is then set:
 * print it once). An existing file is loaded as is.
 */
export async function loadEmbeddedDefault(chapSecrets: string): Promise<LoadedConfig & { created?: CreatedCredentials }> {
  const config = embeddedDefaultConfig(chapSecrets);
  let created: CreatedCredentials | undefined;
  try {
    await stat(chapSecrets);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError('CONFIG_READ', `cannot stat chap-secrets: ${(err as Error).message}`, { file: chapSecrets }, 'check the path');
    created = await createDefaultSecrets(chapSecrets);
  }
  const s = await loadSecrets(chapSecrets);
  const out: LoadedConfig & { created?: CreatedCredentials } = { config, secrets: s.secrets, warnings: s.warnings, sources: s.sources };
  if (created) out.created = created;
  return out;
}
