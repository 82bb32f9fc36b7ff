/**
 * One-off conversion (not shipped, not run again): writes the built-in TypeScript catalogue
 * (`src/detect/catalogue/*.ts`) as YAML rule files in the user format under `catalogue/`, one file
 * per family, numbered so that the files read in name order give exactly `builtinCatalogue`'s
 * order. After this ran, the YAML is the source of truth; `test/detect/catalogue-data.test.ts`
 * proves the two equal until the TypeScript catalogue is deleted.
 *
 *   npx tsx bench/catalogue-to-yaml.ts
 */
import { deepStrictEqual } from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { builtinCatalogue } from '../src/detect/catalogue/index.js';
import { validateRuleData } from '../src/detect/rules/validate.js';
import type { Signature, SignatureExample } from '../src/detect/types.js';

const OUT = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'catalogue');
const WIDTH = 100;

/** The files, in matching order; each names the ids it holds (checked against the catalogue below). */
const FILES: { name: string; comment: string[]; ids: string[] }[] = [
  { name: '10-codered.yaml', comment: ['codered: the CodeRed worms (2001) and the IIS Indexing Service (.ida/.idq) overflow they use.'], ids: ['codered-i', 'codered-ii', 'iis-ida-idq-overflow'] },
  { name: '20-nimda.yaml', comment: ['nimda: the Nimda worm (2001) and its IIS relatives: encoded traversals to cmd.exe, root.exe, admin.dll, backdoor DLLs.'], ids: ['nimda-double-decode', 'nimda-unicode-traversal', 'nimda-root-exe', 'nimda-cmd-exe', 'nimda-admin-dll', 'iis-backdoor-dll'] },
  { name: '30-webdav-overflow.yaml', comment: ['webdav-overflow: the IIS WebDAV SEARCH overflow (MS03-007) of the Welchia/Nachi worm (2003).'], ids: ['webdav-search-overflow', 'webdav-search-large-body'] },
  { name: '40-share-worm.yaml', comment: ['share-worm: Windows network worms and bots trying admin$/c$ shares through the WebDAV fallback.'], ids: ['webdav-admin-share'] },
  { name: '50-iis-exploit.yaml', comment: ['iis-exploit: probes for IIS extensions with known overflows (Windows Media nsiislog.dll, FrontPage fp30reg.dll).'], ids: ['iis-nsiislog', 'iis-fp30reg'] },
  { name: '60-log4shell.yaml', comment: ['log4shell: the Apache Log4j 2 JNDI lookup (CVE-2021-44228), in the request line or any header.'], ids: ['log4shell-jndi'] },
  { name: '61-shellshock.yaml', comment: ['shellshock: the bash function-definition injection (CVE-2014-6271), in the request line or any header.'], ids: ['shellshock'] },
  { name: '70-mirai.yaml', comment: ['mirai: router, camera and DVR exploits of the Mirai/Mozi/Gafgyt IoT botnets, and their admin-page probes.'], ids: ['mirai-jaws-shell', 'mirai-gpon', 'mirai-boaform', 'mozi-netgear-syscmd', 'iot-ifs-injection', 'tplink-luci-locale', 'router-admin-probe', 'router-setup-cgi-probe'] },
  { name: '80-php-rce.yaml', comment: ['php-rce: remote code execution in PHP applications and PHP itself (PHPUnit, ThinkPHP, PHP-CGI).'], ids: ['phpunit-eval-stdin', 'thinkphp-invokefunction', 'php-cgi-argument-injection'] },
  { name: '81-path-traversal.yaml', comment: ['path-traversal: requests escaping the document root (Apache 2.4.49/50, ../ to /etc/passwd or win.ini).'], ids: ['apache-path-traversal-2021', 'path-traversal-system-file'] },
  {
    name: '82-php-rce-awstats.yaml',
    comment: [
      'php-rce, continued: AWStats configdir injection. A file of its own because it comes after the path-traversal',
      'signatures in matching order (configdir=|cat /etc/passwd| is named path traversal first), as it always has.',
    ],
    ids: ['awstats-configdir'],
  },
  {
    name: '83-scanner-w00tw00t.yaml',
    comment: [
      'scanner, request stage: the DFind/ZmEu w00tw00t marker. Apart from the 404-stage scanner file (90) because it',
      'comes before the generic IoT download-and-run signature (85) in matching order, as it always has.',
    ],
    ids: ['dfind-w00tw00t'],
  },
  {
    name: '85-mirai-generic.yaml',
    comment: [
      'mirai, continued: the broad download-and-run signature. A late file of its own on purpose: it must come after',
      'every specific web-RCE signature (80-83), so that those name the attack and this one only catches the rest.',
    ],
    ids: ['iot-download-exec'],
  },
  { name: '90-scanner-probes.yaml', comment: ['scanner, 404 stage: hunts for files that should not be public (.env, .git, phpMyAdmin, web shells, Xdebug, WordPress).'], ids: ['probe-dotenv', 'probe-git', 'probe-wordpress', 'probe-phpmyadmin', 'probe-webshell', 'probe-xdebug'] },
];

/** A scalar on one line: plain where YAML allows it, else single-quoted, else double-quoted with escapes. */
export function scalar(s: string, indent = ''): string {
  if (/[^\x20-\x7e]/.test(s)) return doubleQuoted(s, indent);
  const plain = YAML.stringify(s, { lineWidth: 0 }).replace(/\n$/, '');
  return plain.includes('\n') ? singleQuoted(s) : plain;
}

export function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Control and non-ASCII characters as `\xHH`/`\uHHHH`; long strings wrapped with YAML's escaped line breaks. */
function doubleQuoted(s: string, indent = ''): string {
  const parts = Array.from(s, (ch) => {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') return `\\${ch}`;
    if (c >= 0x20 && c < 0x7f) return ch;
    return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
  });
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    // A continuation line must not start with a space (YAML strips it): break before non-space only.
    if (line.length + p.length > WIDTH && p !== ' ' && !line.endsWith(' ')) {
      lines.push(line);
      line = '';
    }
    line += p;
  }
  lines.push(line);
  return `"${lines.join(`\\\n${indent}  `)}"`;
}

/** A folded block scalar (`>-`), wrapped at single spaces so that folding gives the text back exactly. */
function folded(text: string, indent: string): string {
  if (/\n|^ | $| {2}|[^\x20-\x7e]/.test(text)) return doubleQuoted(text, indent);
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > WIDTH - indent.length - 2) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return `>-\n${lines.map((l) => `${indent}  ${l}`).join('\n')}`;
}

function flowList(items: readonly string[]): string {
  return `[${items.map((i) => (/[^\x20-\x7e]/.test(i) ? doubleQuoted(i) : singleQuoted(i))).join(', ')}]`;
}

function example(ex: SignatureExample, indent: string): string {
  const keys = Object.keys(ex);
  if (keys.length === 1 && keys[0] === 'request') return `${indent}- ${scalar(ex.request, `${indent}  `)}`;
  const out = [`${indent}- request: ${scalar(ex.request, `${indent}  `)}`];
  if (ex.headers) {
    out.push(`${indent}  headers:`);
    for (const [k, v] of Object.entries(ex.headers)) out.push(`${indent}    ${scalar(k)}: ${scalar(v, `${indent}    `)}`);
  }
  if (ex.source !== undefined) out.push(`${indent}  source: ${scalar(ex.source)}`);
  return out.join('\n');
}

function signature(s: Signature): string {
  const i = '    ';
  const out = [
    `  - id: ${s.id}`,
    `${i}family: ${s.family}`,
    `${i}title: ${scalar(s.title)}`,
    `${i}description: ${folded(s.description, i)}`,
    `${i}references:`,
    ...s.references.map((r) => `${i}  - ${scalar(r)}`),
    `${i}stage: ${s.stage === '404' ? "'404'" : s.stage}`,
  ];
  if (s.stageReason !== undefined) out.push(`${i}stageReason: ${s.stageReason.length < WIDTH - 20 ? scalar(s.stageReason) : folded(s.stageReason, i)}`);
  out.push(`${i}match:`, `${i}  target: ${s.match.target}`, `${i}  pattern: ${/[^\x20-\x7e]/.test(s.match.pattern) ? doubleQuoted(s.match.pattern) : singleQuoted(s.match.pattern)}`);
  if (s.match.literals) out.push(`${i}  literals: ${flowList(s.match.literals)}`);
  if (s.match.methods) out.push(`${i}  methods: ${flowList(s.match.methods)}`);
  out.push(`${i}examples:`, `${i}  positive:`, ...s.examples.positive.map((e) => example(e, `${i}    `)));
  out.push(`${i}  negative:`, ...s.examples.negative.map((e) => example(e, `${i}    `)));
  return out.join('\n');
}

function main(): void {
  const byId = new Map(builtinCatalogue.map((s) => [s.id, s]));
  const order = FILES.flatMap((f) => f.ids);
  if (order.join() !== builtinCatalogue.map((s) => s.id).join()) throw new Error('FILES does not list the catalogue in its order');
  mkdirSync(OUT, { recursive: true });
  for (const f of FILES) {
    const body = f.ids.map((id) => signature(byId.get(id)!)).join('\n\n');
    const text = `${f.comment.map((c) => `# ${c}`).join('\n')}\nsignatures:\n${body}\n`;
    const errors: string[] = [];
    const back = validateRuleData(YAML.parse(text), f.name, errors);
    deepStrictEqual(errors, [], `${f.name}: does not validate`);
    deepStrictEqual(back.signatures, f.ids.map((id) => ({ ...byId.get(id)! })), `${f.name}: does not read back as the catalogue`);
    writeFileSync(join(OUT, f.name), text);
  }
  process.stdout.write(`wrote ${FILES.length} files, ${order.length} signatures, to ${OUT}\n`);
}

main();
