import { InvalidArgumentError, type Command } from 'commander';
import { parseRequestLine } from '../detect/request-line.js';
import { judge } from '../detect/detection.js';
import { DEFAULT_PROBE_STATUSES } from '../detect/response.js';
import type { Engine, Verdict } from '../detect/types.js';
import { addRuleOptions, engineFromFlags } from './rule-options.js';

function collectHeader(value: string, previous: Record<string, string>): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError(`expected "Name: value", got ${JSON.stringify(value)}`);
  const name = value.slice(0, colon).trim().toLowerCase();
  const v = value.slice(colon + 1).trim();
  return { ...previous, [name]: previous[name] !== undefined ? `${previous[name]}, ${v}` : v };
}

/** `wormwatch check "GET /default.ida?NNNN HTTP/1.0" [-H 'Name: value']…`: exit 0 clean, 1 detected, 2 usage. */
export function register(program: Command): void {
  const cmd = program
    .command('check')
    .description('Judge one request line (and headers) with the catalogue; exit 0 clean, 1 detected, 2 usage error.')
    .argument('<request-line>', 'METHOD target [HTTP/x.y], quoted')
    .option('-H, --header <header>', 'a request header, "Name: value" (repeatable)', collectHeader, {} as Record<string, string>)
    .option('--status <code>', 'the origin\'s answer, judged as the proxy would: a hunt refused or missing is a probe, one served 2xx an exposure (default: report both stages)')
    .option('--json', 'print the verdict as JSON');
  addRuleOptions(cmd).action((line: string, raw: Record<string, unknown>) => {
    const status = raw.status === undefined ? undefined : Number(raw.status);
    if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) {
      cmd.error(`--status must be an HTTP status code, got ${JSON.stringify(raw.status)}`, { exitCode: 2, code: 'wormwatch.usage' });
    }
    if (line.trim() === '') cmd.error('the request line is empty', { exitCode: 2, code: 'wormwatch.usage' });
    const result = checkRequest(engineFromFlags(raw, cmd), line, { headers: raw.header as Record<string, string>, status, json: raw.json === true });
    process.stdout.write(result.output);
    process.exitCode = result.exitCode;
  });
}

export interface CheckResult {
  verdict: Verdict | null;
  /** 1 when a signature matched, else 0. */
  exitCode: number;
  output: string;
}

/**
 * The verdict on one request line, as the proxy would judge it (`judge`). Without a status both
 * stages apply (a 404-stage match says which answers make it count); with one, a 404-stage
 * signature is judged on it: a probe when refused or missing, an exposure when a 2xx served it.
 */
export function checkRequest(engine: Engine, line: string, opts: { headers?: Record<string, string>; status?: number | undefined; json?: boolean } = {}): CheckResult {
  const n = engine.normalise(parseRequestLine(line, opts.headers));
  const judged = judge(engine, n, opts.status);
  const verdict = judged?.verdict ?? null;
  const exposure = judged?.answer?.exposure === true;
  const output = opts.json ? `${JSON.stringify(verdictJson(verdict, exposure))}\n` : render(verdict, opts.status, exposure);
  return { verdict, exitCode: verdict ? 1 : 0, output };
}

function verdictJson(v: Verdict | null, exposure: boolean): unknown {
  if (!v) return { detected: false };
  const s = v.signature;
  return { detected: true, signature: s.id, family: s.family, stage: v.stage, ...(exposure ? { exposure: true } : {}), title: s.title, evidence: v.evidence, ...(v.detail ? { detail: v.detail } : {}), references: s.references };
}

function render(v: Verdict | null, status: number | undefined, exposure: boolean): string {
  if (!v) return 'clean: no signature matches\n';
  const s = v.signature;
  const when = v.stage === '404' && status === undefined ? ` (counts when the origin answers ${answersThatCount(s)})` : '';
  return [
    `${exposure ? 'exposure' : 'detected'}: ${s.id} (family ${s.family}, ${v.stage} stage)${when}`,
    `  ${s.title}`,
    ...(exposure ? [`  the origin served what this hunts for (${status}): treat it as leaked`] : []),
    `  evidence: ${v.evidence}`,
    ...(v.detail ? [`  matched in: ${v.detail}`] : []),
    ...(s.references.length ? [`  references: ${s.references.join(', ')}`] : []),
  ].join('\n') + '\n';
}

/** `404, 401, 403 or 405` (or `anything but 2xx`), and `; a 2xx is an exposure` where it is one. */
function answersThatCount(s: Verdict['signature']): string {
  const probe = s.response?.probe ?? DEFAULT_PROBE_STATUSES;
  const refused = probe === 'any' ? 'anything but 2xx' : probe.join(', ');
  return s.response?.success === 'exposure' ? `${refused}; a 2xx serving it is an exposure` : refused;
}
