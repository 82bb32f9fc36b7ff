/**
 * When a signature applies.
 * - `request`: certain on sight (an overflow payload, a shell command); judged before forwarding.
 * - `404`: suspicious only when the origin answers 404 (the file being hunted for does not exist).
 */
export type Stage = 'request' | '404';

/**
 * What part of the normalised request a pattern is matched against. All text is normalised
 * first (see `normalise.ts`): percent-decoded, `%uXXXX` and overlong UTF-8 folded, backslashes
 * turned to slashes, lower-cased.
 * - `path`: the decoded path, without the query.
 * - `query`: the decoded query string, without the leading `?`.
 * - `url`: path and query joined by `?`.
 * - `line`: `METHOD url`, the method upper-case.
 * - `resolved`: `url` with the path as the origin resolves it: `.` and `..` segments removed
 *   (RFC 3986 section 5.2.4, after decoding, as IIS does), NTFS stream names (`::$DATA`) and
 *   trailing dots and spaces of a segment dropped. What would be served, however it was spelled:
 *   anchor a pattern for a file (`^/default\.ida`) here, so `/x/../default.ida` cannot pass it.
 * - `raw`: the request-target exactly as received, lower-cased but not decoded (for encodings
 *   that are themselves the evidence, such as `%255c` or `%c0%af`).
 * - `headers`: every header value (name and value, as `name: value` lines), decoded once.
 * - `all`: the pattern is tried on `line` and on `headers` (for payloads such as Log4Shell and
 *   Shellshock that work wherever the application logs or passes on a string).
 */
export type MatchTarget = 'path' | 'query' | 'url' | 'line' | 'resolved' | 'raw' | 'headers' | 'all';

export interface SignatureMatch {
  /** Which normalised text the pattern runs on. */
  target: MatchTarget;
  /**
   * Regular expression source (JavaScript syntax, no flags: text is already lower-case).
   * Kept to the subset njs (PCRE) understands too: no lookbehind, no named groups.
   */
  pattern: string;
  /**
   * Lower-case literals, at least one of which every match must contain. They feed the one-pass
   * prefilter; a signature is only verified with its regex when one of its literals occurs.
   * Omit only when no literal is possible (the signature is then checked on every request).
   */
  literals?: string[];
  /** Upper-case methods this applies to; any method when absent. */
  methods?: string[];
}

/** An example request: a request line, with optional headers and the origin's status. */
export interface SignatureExample {
  /** `METHOD target HTTP/x.y`, verbatim from a public source where possible. */
  request: string;
  headers?: Record<string, string>;
  /** 404-stage examples only: the origin's status (default 404), judged by the signature's `response`. */
  status?: number;
  /** 404-stage examples with a 2xx status only: the start of the body the origin served. */
  body?: string;
  /** Where the example came from (an advisory, a log corpus). */
  source?: string;
}

/**
 * How the origin's answer decides a 404-stage signature (`responseVerdict` in `response.ts`).
 * - `probe`: the statuses that make the request a probe (default 401, 403, 404, 405: the site
 *   refused or lacks the file, it was still a scan), or `any`: every answer that is not 2xx.
 * - `success`: what a 2xx means: `exposure` (a secret or internal surface was served) or
 *   `owned` (the site's own resource, no detection; the default).
 * - `confirm`: a regex over the first 4 KiB of the body, lower-cased, read as latin1; a 2xx body
 *   it does not match is a catch-all page, so a probe, not an exposure.
 */
export interface ResponseRule {
  probe?: number[] | 'any';
  success?: 'exposure' | 'owned';
  confirm?: string;
}

export interface Signature {
  /** Stable id, kebab-case (`codered-ii`); used in metrics labels and rule files. */
  id: string;
  /** Worm or probe family (`codered`, `nimda`, `log4shell`); a metrics label, so a short fixed set. */
  family: string;
  /** One-line human title (`CodeRed II probe`); used in notice subjects. */
  title: string;
  /**
   * What the worm or probe is, what it tries to do, and how to clean an infected host. Plain
   * text; reused verbatim in notice e-mails, so written for a non-expert administrator.
   */
  description: string;
  /** CVE ids, advisories, Snort/ET SIDs, URLs. */
  references: string[];
  stage: Stage;
  /** Why the signature is at that stage (one sentence). */
  stageReason?: string;
  match: SignatureMatch;
  /** 404 stage only: what the origin's answer means; absent means every default of ResponseRule. */
  response?: ResponseRule;
  examples: { positive: SignatureExample[]; negative: SignatureExample[] };
}

/** The parts of a request detection reads. Headers as Node gives them (lower-case names). */
export interface RequestView {
  method: string;
  /** The request-target exactly as received (`/default.ida?NNN`, or absolute-form). */
  target: string;
  headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** A request normalised once, then matched at the request stage and, on a 404, again. */
export interface NormalisedRequest {
  method: string;
  raw: string;
  path: string;
  query: string;
  url: string;
  line: string;
  /** `url` with the path resolved as the origin would (see MatchTarget). */
  resolved: string;
  headers: string;
  /** The request-target as received (capped at 8 KiB, not lower-cased), for evidence. */
  received?: string;
}

export interface Verdict {
  signature: Signature;
  stage: Stage;
  /** The request line as seen (`GET /default.ida?NNNN…`), sanitised and truncated. */
  evidence: string;
  /** Where the pattern matched: `line`, or the header line (`user-agent: () { :; }; …`), sanitised and truncated. */
  detail?: string;
}

export interface Engine {
  readonly signatures: readonly Signature[];
  normalise(request: RequestView): NormalisedRequest;
  /** The first matching signature of that stage, or null. Pure; never throws on any input. */
  match(request: NormalisedRequest, stage: Stage): Verdict | null;
}
