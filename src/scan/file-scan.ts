import type { Engine, NormalisedRequest } from '../detect/types.js';
import type { DetectionListener } from '../detect/detection.js';
import { RecordClassifier, type Classified } from './classify.js';
import { FieldMismatchError } from './client.js';
import { SNIFF_LINES, sniffFormat } from './formats/index.js';
import type { LineInput } from './input.js';
import type { Line } from './lines.js';
import type { LineParser } from './record.js';
import type { FileSummary, ScanTally } from './summary.js';

export interface ScanDeps {
  /** Read once per line, so a rules reload during `--follow` takes effect at once. */
  engine: () => Engine;
  /** Every signature detection goes here (offender store, metrics, notices), as from the proxy. */
  onDetection: DetectionListener;
  /** Every logged 404 goes here (the 404-storm detector), as the proxy's `onNotFound`. */
  onNotFound?: (ip: string, request: NormalisedRequest, at: Date) => void;
  /** Time for lines that log none. Default: now. */
  now?: () => Date;
}

/**
 * One input's lines → records → detections. With `auto`, the first lines are held until the
 * format is known (at most SNIFF_LINES), then replayed; `flush()` decides early when the input
 * pauses (a followed file with few lines). An input whose format cannot hold the client field
 * (`--client-ip-field`) stops there with that as its error: reading on would blame the proxy.
 */
export class FileScan {
  private parser: LineParser | null;
  private held: { text: string; number: number }[] = [];
  private heldNonBlank = 0;
  private lineNumber = 0;
  /** Set when the input cannot be read as asked (see `stop`); later lines are not read. */
  stopped = false;

  constructor(
    readonly summary: FileSummary,
    private readonly tally: ScanTally,
    private readonly deps: ScanDeps,
    private readonly input: LineInput,
    /** Shared by the inputs of one scan. */
    private readonly classifier = new RecordClassifier(),
  ) {
    this.parser = input.fixed ? input.fixed() : null;
    if (this.parser) summary.format = this.parser.format;
  }

  feed(line: Line): void {
    if (this.stopped) return;
    this.lineNumber++;
    this.summary.lines++;
    if (typeof line !== 'string') {
      this.tally.unparsable(this.summary, this.lineNumber, `(line of ${line.oversizedBytes} bytes, over the limit)`);
      return;
    }
    if (this.parser) {
      this.handle(this.parser, line, this.lineNumber);
      return;
    }
    this.held.push({ text: line, number: this.lineNumber });
    if (line.trim() !== '') this.heldNonBlank++;
    // Blank lines are held too, so cap them as well.
    if (this.heldNonBlank >= SNIFF_LINES || this.held.length >= SNIFF_LINES * 20) this.flush();
  }

  /** Decides the format from the lines held so far (if undecided) and processes them. */
  flush(): void {
    if (this.parser || this.held.length === 0 || this.stopped) return;
    const format = sniffFormat(this.held.map((h) => h.text)) ?? 'combined'; // nothing recognised: combined, so its lines are counted unparsable
    this.summary.format = format;
    const held = this.held;
    this.held = [];
    try {
      this.parser = this.input.sniffed(format);
    } catch (err) {
      if (err instanceof FieldMismatchError) return this.stop(`--client-ip-field: ${err.message}`);
      throw err;
    }
    for (const h of held) if (!this.stopped) this.handle(this.parser, h.text, h.number);
  }

  private stop(reason: string): void {
    this.stopped = true;
    this.summary.error = reason;
  }

  private handle(parser: LineParser, text: string, number: number): void {
    let record: ReturnType<LineParser['parse']>;
    try {
      record = parser.parse(text);
    } catch (err) {
      if (err instanceof FieldMismatchError) return this.stop(`--client-ip-field: ${err.message} (line ${number})`);
      throw err;
    }
    if (record === 'skip') {
      this.summary.skipped++;
      return;
    }
    if (record === null) {
      this.tally.unparsable(this.summary, number, text);
      return;
    }
    if (this.input.client) record.ip = this.input.client(record);
    this.summary.records++;
    this.tally.current = this.summary;
    this.tally.currentLine = number;
    let judged: Classified;
    try {
      judged = this.classifier.classify(this.deps.engine(), record, this.deps.now ?? now);
    } catch (err) {
      // The engine must not throw; if it does, the line is counted and shown, and the scan goes on.
      this.summary.records--;
      this.tally.unparsable(this.summary, number, `(could not be judged: ${(err as Error).message}) ${text}`);
      return;
    }
    const { event, normalised, at } = judged;
    if (event) this.deps.onDetection(event);
    if (record.status === 404) this.deps.onNotFound?.(record.ip, normalised, at);
  }
}

const now = (): Date => new Date();
