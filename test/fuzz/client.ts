/**
 * Sends one fuzz input to the proxy over a raw socket, piece by piece, and collects what comes
 * back. It waits until the server closes, or until it has as many final responses as the input
 * owes (then lingers briefly for extra ones, which would be a desynchronisation), or until the
 * time-out that applies passes after the last write or response with nothing arriving: a hang.
 * That is `idleMs` (the proxy's client and headers time-outs), or `originWaitMs` (its response
 * time-out) while the origin holds a whole request of this input it has not answered yet.
 */
import net from 'node:net';
import type { FuzzInput } from './generator.js';
import { ResponseParser, type ClientResponse } from './responses.js';

export interface ClientLimits {
  /** Longest wait for the next response or a close, after the last write or response. */
  idleMs: number;
  /** The same while `waitingOnOrigin()`. */
  originWaitMs: number;
  /** How long to keep reading after the owed responses arrived. */
  lingerMs: number;
  /** Whether the origin holds a whole request of this input that it has not answered. */
  waitingOnOrigin: () => boolean;
}

export interface ClientOutcome {
  responses: ClientResponse[];
  interim: number;
  garbage: string | undefined;
  switched: boolean;
  /** The connection ended while a response was under way. */
  cut: boolean;
  closedByServer: boolean;
  /** No response or close came within the time-out that applies while responses were owed. */
  hang: { owed: number; got: number; waitedMs: number; originOwing: boolean } | undefined;
  error: string | undefined;
  /** The first 2 KiB received, for reports. */
  received: string;
}

const KEEP_RECEIVED = 2048;

export function sendInput(port: number, input: FuzzInput, limits: ClientLimits): Promise<ClientOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const methods = input.expect.requests.map((r) => r.method);
    const parser = new ResponseParser((n) => methods[n] ?? 'GET');
    const owed = input.expect.owed;
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    let lastProgress = 0;
    let sent = false;
    let settled = false;
    const outcome = (extra: Partial<ClientOutcome>): ClientOutcome => ({
      responses: parser.out.responses, interim: parser.out.interim, garbage: parser.out.garbage, switched: parser.out.switched,
      cut: parser.cut, closedByServer: false, hang: undefined, error: undefined, received, ...extra,
    });
    const settle = (extra: Partial<ClientOutcome>, reset = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (extra.closedByServer) parser.end();
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
      resolve(outcome(extra));
    };
    const expire = (): void => {
      const waited = Date.now() - lastProgress;
      const originOwing = limits.waitingOnOrigin();
      if (waited < limits.originWaitMs && originOwing) {
        timer = setTimeout(expire, limits.originWaitMs - waited);
        return;
      }
      settle({ hang: { owed, got: parser.out.responses.length, waitedMs: waited, originOwing } });
    };
    const arm = (): void => {
      if (!sent || settled) return;
      clearTimeout(timer);
      lastProgress = Date.now();
      const satisfied = (owed > 0 && parser.out.responses.length >= owed) || parser.out.switched || parser.out.garbage !== undefined;
      timer = satisfied ? setTimeout(() => settle({}), limits.lingerMs) : setTimeout(expire, limits.idleMs);
    };
    socket.on('data', (d: Buffer) => {
      if (received.length < KEEP_RECEIVED) received += d.toString('latin1', 0, Math.min(d.length, KEEP_RECEIVED - received.length));
      const before = parser.out.responses.length;
      parser.feed(d);
      if (parser.out.responses.length !== before || parser.out.switched || parser.out.garbage !== undefined) arm();
    });
    socket.on('end', () => settle({ closedByServer: true }));
    socket.on('close', () => settle({ closedByServer: true }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') settle({ closedByServer: true });
      else settle({ error: err.code ?? err.message });
    });
    socket.on('connect', () => {
      void writePieces(socket, input).then(() => {
        if (settled) return;
        sent = true;
        // Let the bytes leave before the RST, as a client that gives up after sending does.
        if (input.after === 'reset') return void setImmediate(() => settle({}, true));
        if (input.after === 'end') socket.end();
        arm();
      });
    });
  });
}

async function writePieces(socket: net.Socket, input: FuzzInput): Promise<void> {
  for (const piece of input.pieces) {
    if (piece.delayMs > 0) await new Promise((r) => setTimeout(r, piece.delayMs));
    if (socket.destroyed || !socket.writable) return;
    if (piece.bytes.length > 0) socket.write(piece.bytes);
  }
}
