/**
 * The grep-style ground truth of the evaluation: a family's lines are the lines matching its
 * pattern anywhere (request line or logged headers), case-insensitive. Counts, not hand labels.
 */
export interface GrepFamily {
  name: string;
  /** Shown verbatim in the report (as one would pass it to `grep -iE`). */
  pattern: string;
  re: RegExp;
}

function family(name: string, pattern: string): GrepFamily {
  return { name, pattern, re: new RegExp(pattern, 'i') };
}

/** Families whose every line must be detected (the recall targets). */
export const RECALL_FAMILIES: GrepFamily[] = [
  family('CodeRed', 'default\\.ida'),
  family('Nimda', 'root\\.exe|cmd\\.exe|%255c|%c0%af|%c1%1c'),
  family('Shellshock', '\\(\\) \\{'),
  family('Log4Shell', 'jndi'),
  family('PHPUnit', 'eval-stdin'),
  family('ThinkPHP', 'invokefunction'),
  family('Mozi/Mirai', 'setup\\.cgi|boaform|GponForm|/shell\\?'),
];

/**
 * Known probes and classic attack markers that are not recall targets: admin-panel and file hunts,
 * traversal, injection payloads (PHP-CGI `allow_url_include`, OGNL `java.lang`, Shellshock
 * without the space, download-and-run). A line matching these, raw or percent-decoded, or any
 * recall family, is not an "ordinary" request. The injection markers were added after judging
 * by hand the lines a first run flagged among "ordinary" requests: all were attacks (PHP-CGI
 * CVE-2012-1823, Struts2 OGNL, Shellshock as `(){`), so they are not ordinary traffic. The report
 * lists every flagged line, so this judgement can be checked.
 */
export const PROBE_PATTERN = family(
  'other probes',
  'phpmyadmin|/pma/|myadmin|setup\\.php|wp-login|xmlrpc|w00tw00t|hnap1|\\.env|\\.git/|cgi-bin|\\.cgi|/admin|/manager/|boaform|' +
    '\\$\\{|\\.\\./|/etc/passwd|eval\\(|base64_decode|union.{0,20}select|<script|\\(\\)\\s*\\{|allow_url_include|auto_prepend_file|' +
    'java\\.lang|wget |/tmp/',
);

/** Folders whose ordinary requests are the false-positive measure. */
export const ORDINARY_FOLDERS = ['benign', 'smallsite-2015-2018'];

/** The recall families a raw log line belongs to. */
export function grepFamilies(line: string): string[] {
  return RECALL_FAMILIES.filter((f) => f.re.test(line)).map((f) => f.name);
}

/** True when the line, raw or percent-decoded, matches no recall family and no known probe pattern. */
export function isOrdinary(line: string): boolean {
  const decoded = line.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return ![line, decoded].some((text) => grepFamilies(text).length > 0 || PROBE_PATTERN.re.test(text));
}
