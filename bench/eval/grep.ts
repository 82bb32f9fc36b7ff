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
 * The classes issue 13 adds, counted the same way for coverage (not a promise of complete recall):
 * each pattern is a handful of markers the public write-ups name for the class, not the
 * signatures' own patterns, so what a signature misses shows as a miss. PHP-CGI is a recall
 * target of the issue too (`allow_url_include` only appears in that exploit).
 */
export const COVERAGE_FAMILIES: GrepFamily[] = [
  family('PHP-CGI', 'allow_url_include'),
  family('IoT exploit', 'ViewLog\\.asp|mainfunction\\.cgi|device\\.rsp|getcfg\\.php|HNAP1|DeviceUpgrade_1|picsdesc\\.xml|/goform/|boardData|tmUnblock|nas_sharing|kerbynet|rom-0'),
  family('Traversal', '\\.\\./\\.\\./|\\.\\.%2f|%2e%2e|%252e|/etc/passwd|/etc/shadow|win\\.ini|/proc/self/'),
  family('Web exploit', 'ognl|memberaccess|classloader|autodiscover\\.json\\?@|_ignition/|telerik\\.web\\.ui|mgmt/tm/util/bash|fgt_lang|/vpns/|user-backup-code|jmx-console|s=captcha|wls-wsat|tmui/login|mboximport|htmlawed|getphpinfo|remote_agent\\.php|setupcomplete|setup-restore|ztp_gate|java\\.lang\\.runtime'),
  family('Hunt', '/\\.env|/\\.git|phpmyadmin|wp-config\\.php\\.|/\\.aws|/\\.ssh|\\.htpasswd|\\.bash_history|/backup\\.|/dump\\.sql|server-status|phpinfo|/actuator/|xdebug_session'),
  family('Scanner', 'nikto|zgrab|masscan|nmap|sqlmap|nuclei|acunetix|bxss\\.me|netsparker|w00tw00t|muieblackcat|l9explore'),
  family('Non-HTTP', '"\\\\x16\\\\x03|"SSH-[12]|"MGLNDD_|mstshash|\\\\xffSMB|\\\\xfeSMB'),
];

/**
 * Known probes and classic attack markers that are not recall targets: admin-panel and file hunts,
 * traversal, injection payloads (PHP-CGI `allow_url_include`, OGNL `java.lang`, Shellshock
 * without the space, download-and-run). A line matching these, raw or percent-decoded, or any
 * recall family, is not an "ordinary" request. The injection markers were added after judging
 * by hand the lines a first run flagged among "ordinary" requests: all were attacks (PHP-CGI
 * CVE-2012-1823, Struts2 OGNL, Shellshock as `(){`), so they are not ordinary traffic. `muieblackcat`
 * (a scanner's marker path, like `w00tw00t`; Maltrail lists both) joined with the scanner signatures
 * of catalogue-next. The report lists every flagged line, so this judgement can be checked.
 */
export const PROBE_PATTERN = family(
  'other probes',
  'phpmyadmin|/pma/|myadmin|setup\\.php|wp-login|xmlrpc|w00tw00t|muieblackcat|hnap1|\\.env|\\.git/|cgi-bin|\\.cgi|/admin|/manager/|boaform|' +
    '\\$\\{|\\.\\./|/etc/passwd|eval\\(|base64_decode|union.{0,20}select|<script|\\(\\)\\s*\\{|allow_url_include|auto_prepend_file|' +
    'java\\.lang|wget |/tmp/',
);

/**
 * Requests whose User-Agent names a scanning tool (a subset of CrowdSec's public list
 * sec-lists web/bad_user_agents.txt): whatever page they fetch, the sender says it is a scanner,
 * so such a line is not an ordinary visitor's. Added with the scanner signatures of catalogue-next;
 * the report counts these lines apart so the change of the denominator can be checked.
 */
export const SCANNER_AGENT = family('scanner User-Agent', 'zgrab|masscan|nmap scripting engine|nikto|sqlmap|nuclei|wpscan|acunetix|netsparker|l9explore|l9tcpid|jorgee|morfeus|zmeu|whatweb');

/** Folders whose ordinary requests are the false-positive measure. */
export const ORDINARY_FOLDERS = ['benign', 'smallsite-2015-2018'];

/** The recall families a raw log line belongs to. */
export function grepFamilies(line: string): string[] {
  return RECALL_FAMILIES.filter((f) => f.re.test(line)).map((f) => f.name);
}

/** The coverage families a raw log line belongs to. */
export function coverageFamilies(line: string): string[] {
  return COVERAGE_FAMILIES.filter((f) => f.re.test(line)).map((f) => f.name);
}

const decodePercent = (line: string): string => line.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** True when the line, raw or percent-decoded, matches no recall family, no known probe pattern and no scanner User-Agent. */
export function isOrdinary(line: string): boolean {
  const decoded = decodePercent(line);
  return ![line, decoded].some((text) => grepFamilies(text).length > 0 || PROBE_PATTERN.re.test(text) || SCANNER_AGENT.re.test(text));
}

/** True when only the scanner User-Agent rule keeps the line out of the ordinary set (counted apart in the report). */
export function isScannerAgentOnly(line: string): boolean {
  const decoded = decodePercent(line);
  const otherwiseOrdinary = ![line, decoded].some((text) => grepFamilies(text).length > 0 || PROBE_PATTERN.re.test(text));
  return otherwiseOrdinary && SCANNER_AGENT.re.test(line);
}
