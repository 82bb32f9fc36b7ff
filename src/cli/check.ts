import { InvalidArgumentError, type Command } from 'commander';
import { parseRequestLine } from '../detect/request-line.js';
import type { Engine, Stage, Verdict } from '../detect/types.js';
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
    .option('--status <code>', 'the origin\'s answer; 404-stage signatures apply only to 404 (default: report both stages)')
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
 * The verdict on one request line. Without a status both stages apply (a 404-stage match says it
 * counts only on a 404); with one, 404-stage signatures apply only when it is 404.
 */
export function checkRequest(engine: Engine, line: string, opts: { headers?: Record<string, string>; status?: number | undefined; json?: boolean } = {}): CheckResult {
  const n = engine.normalise(parseRequestLine(line, opts.headers));
  const stages: Stage[] = opts.status === undefined || opts.status === 404 ? ['request', '404'] : ['request'];
  let verdict: Verdict | null = null;
  for (const stage of stages) verdict ??= engine.match(n, stage);
  const output = opts.json ? `${JSON.stringify(verdictJson(verdict))}\n` : render(verdict, opts.status);
  return { verdict, exitCode: verdict ? 1 : 0, output };
}

function verdictJson(v: Verdict | null): unknown {
  if (!v) return { detected: false };
  const s = v.signature;
  return { detected: true, signature: s.id, family: s.family, stage: v.stage, title: s.title, evidence: v.evidence, ...(v.detail ? { detail: v.detail } : {}), references: s.references };
}

function render(v: Verdict | null, status: number | undefined): string {
  if (!v) return 'clean: no signature matches\n';
  const s = v.signature;
  const when = v.stage === '404' && status === undefined ? ' (counts only when the origin answers 404)' : '';
  return [
    `detected: ${s.id} (family ${s.family}, ${v.stage} stage)${when}`,
    `  ${s.title}`,
    `  evidence: ${v.evidence}`,
    ...(v.detail ? [`  matched in: ${v.detail}`] : []),
    ...(s.references.length ? [`  references: ${s.references.join(', ')}`] : []),
  ].join('\n') + '\n';
}
