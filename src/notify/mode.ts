import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';

export type NotifyMode = 'off' | 'outbox' | 'smtp';

/**
 * `--notify`, or its default: `smtp` when `--smtp-url` is set, else `outbox`. It governs the
 * notices to offenders only; operator mail (`--operator-email`) goes whenever it is set.
 */
export function notifyMode(o: Pick<Options, 'notify' | 'smtpUrl'>): NotifyMode {
  const mode = o.notify ?? (o.smtpUrl ? 'smtp' : 'outbox');
  if (mode === 'smtp' && !o.smtpUrl) throw new ConfigError('--notify smtp needs --smtp-url, e.g. --smtp-url smtp://user:pass@mail.example.net:587 (or use --notify outbox)');
  return mode;
}

/** Cross-field checks of the notice options (a one-line ConfigError naming the fix); returns the mode. */
export function checkNotifyOptions(o: Pick<Options, 'notify' | 'smtpUrl' | 'operatorEmail'>): NotifyMode {
  const mode = notifyMode(o);
  if (o.operatorEmail !== undefined && !o.smtpUrl) {
    throw new ConfigError('--operator-email needs --smtp-url to send it: add --smtp-url smtp://user:pass@mail.example.net:587, or drop --operator-email');
  }
  return mode;
}
