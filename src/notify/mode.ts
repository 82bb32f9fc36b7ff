import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';

export type NotifyMode = 'off' | 'outbox' | 'smtp';

/**
 * `--notify`, or its default: `smtp` when `--smtp-url` is set, else `outbox`. It governs the
 * notices to offenders only; operator mail (`--operator-email`) goes whenever it is set. In fleet
 * mode (`--redis-url`) `smtp` without `--smtp-url` is a replica that leaves the sending to
 * `wormwatch mailer`: its notices go to the fleet's stream (see relaysToFleet).
 */
export function notifyMode(o: Pick<Options, 'notify' | 'smtpUrl' | 'redisUrl'>): NotifyMode {
  const mode = o.notify ?? (o.smtpUrl ? 'smtp' : 'outbox');
  if (mode === 'smtp' && !o.smtpUrl && !o.redisUrl) {
    throw new ConfigError('--notify smtp needs --smtp-url, e.g. --smtp-url smtp://user:pass@mail.example.net:587 (or use --notify outbox, or --redis-url with `wormwatch mailer` sending)');
  }
  return mode;
}

/** Fleet mode, `--notify smtp`, no `--smtp-url`: this replica's notices are sent by `wormwatch mailer`, through the stream. */
export function relaysToFleet(o: Pick<Options, 'notify' | 'smtpUrl' | 'redisUrl'>): boolean {
  return notifyMode(o) === 'smtp' && !o.smtpUrl && o.redisUrl !== undefined;
}

/** Cross-field checks of the notice options (a one-line ConfigError naming the fix); returns the mode. */
export function checkNotifyOptions(o: Pick<Options, 'notify' | 'smtpUrl' | 'redisUrl' | 'operatorEmail' | 'noticeTiers' | 'abuseAfter' | 'rdapUrl' | 'rdapBootstrap'>): NotifyMode {
  const mode = notifyMode(o);
  if (relaysToFleet(o) && o.noticeTiers.includes('abuse')) {
    throw new ConfigError('--notice-tiers abuse needs --smtp-url on each replica (the replica that wins a digest window sends it); `wormwatch mailer` sends the host tier only: add --smtp-url, or set --notice-tiers host');
  }
  if (o.operatorEmail !== undefined && !o.smtpUrl) {
    throw new ConfigError('--operator-email needs --smtp-url to send it: add --smtp-url smtp://user:pass@mail.example.net:587, or drop --operator-email');
  }
  if (o.abuseAfter > 0 && !o.noticeTiers.includes('host')) {
    throw new ConfigError('--abuse-after counts from the host-tier notice: add host to --notice-tiers (--notice-tiers host,abuse), or drop --abuse-after');
  }
  if (o.rdapUrl !== undefined && o.rdapBootstrap !== undefined) {
    throw new ConfigError('--rdap-url sends every lookup to one server, so --rdap-bootstrap would be ignored: give one of them');
  }
  return mode;
}

/** The tiers written to: host (the 2001 recipients) and abuse (the network's abuse desk, a digest). */
export function tiersOf(o: Pick<Options, 'noticeTiers'>): { host: boolean; abuse: boolean } {
  return { host: o.noticeTiers.includes('host'), abuse: o.noticeTiers.includes('abuse') };
}
