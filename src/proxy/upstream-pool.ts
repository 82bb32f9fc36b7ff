import http, { type ClientRequest } from 'node:http';
import https from 'node:https';

/** Idle pooled connections to the origin are closed after this. */
export const UPSTREAM_IDLE_MS = 4_000;

/** Sockets of the pool by state, and requests waiting for one (the `wormwatch_upstream_*` gauges). */
export interface PoolStats {
  active: number;
  idle: number;
  queued: number;
}

export interface UpstreamPool {
  /** The keep-alive pool every first attempt goes through. */
  pooled: http.Agent;
  /** Connections used once and closed: the single retry of a request whose pooled socket was stale. */
  fresh: http.Agent;
  stats(): PoolStats;
  destroy(): void;
}

type AddRequest = (req: ClientRequest, options: unknown) => void;
type Queues = Record<string, ClientRequest[] | undefined>;

/**
 * The agents towards the one upstream. `onRequest(req, agent)` sees each outgoing request as
 * soon as it exists and again right after the agent took it (so a caller can tell it was queued).
 */
export function createUpstreamPool(upstream: URL, maxSockets: number, onRequest: (req: ClientRequest, agent: http.Agent) => void): UpstreamPool {
  const Agent = upstream.protocol === 'https:' ? https.Agent : http.Agent;
  // `timeout` retires idle pooled sockets before common origins' own 5 s keep-alive limit; Node
  // only honours a shorter `Keep-Alive: timeout=N` hint from the origin when this is set.
  const pooled = new Agent({ keepAlive: true, maxSockets, scheduling: 'lifo', timeout: UPSTREAM_IDLE_MS });
  const fresh = new Agent({ keepAlive: false, maxSockets });
  for (const agent of [pooled, fresh]) hook(agent, onRequest);
  return {
    pooled,
    fresh,
    stats: () => {
      const a = countOf(pooled);
      const b = countOf(fresh);
      return { active: a.active + b.active, idle: a.idle + b.idle, queued: a.queued + b.queued };
    },
    destroy() {
      pooled.destroy();
      fresh.destroy();
    },
  };
}

/** The agent is the one place the library's outgoing request is visible as soon as it exists. */
function hook(agent: http.Agent, onRequest: (req: ClientRequest, agent: http.Agent) => void): void {
  const pooled = agent as http.Agent & { addRequest: AddRequest };
  const addRequest = pooled.addRequest.bind(pooled);
  pooled.addRequest = (req, options) => {
    addRequest(req, options);
    onRequest(req, agent);
  };
}

/** Whether `req` waits in the agent's queue for a socket. Costs nothing while no request waits. */
export function isQueued(agent: http.Agent, req: ClientRequest): boolean {
  const queues = agent.requests as unknown as Queues;
  for (const name in queues) if (queues[name]?.includes(req)) return true;
  return false;
}

/**
 * Takes `req` out of the agent's queue. A request destroyed while queued is otherwise only
 * reported, and its place only freed, once a socket comes free for it: with a stuck origin, never.
 */
export function dequeue(agent: http.Agent, req: ClientRequest): boolean {
  const queues = agent.requests as unknown as Queues;
  for (const name in queues) {
    const queue = queues[name];
    const i = queue?.indexOf(req) ?? -1;
    if (queue === undefined || i < 0) continue;
    queue.splice(i, 1);
    if (queue.length === 0) delete queues[name];
    return true;
  }
  return false;
}

function countOf(agent: http.Agent): PoolStats {
  return { active: total(agent.sockets), idle: total(agent.freeSockets), queued: total(agent.requests) };
}

function total(lists: NodeJS.ReadOnlyDict<unknown[]>): number {
  let n = 0;
  for (const name in lists) n += lists[name]?.length ?? 0;
  return n;
}
