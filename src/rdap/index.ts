// Owns RDAP: the shipped IANA bootstrap registry, finding a network's abuse contact, its cache and bounds.
// May import Node built-ins, ipaddr.js and lru-cache only; nothing else from src/ (the notifier imports this).
export { baseUrlsFor, bootstrapOrigins, BootstrapError, loadBootstrap, SHIPPED_BOOTSTRAP, validateBootstrapFile } from './bootstrap.js';
export type { Bootstrap, BootstrapFile } from './bootstrap.js';
export { createRdapClient, RDAP_RESULTS } from './client.js';
export type { RdapAnswer, RdapClient, RdapClientOptions, RdapLookupResult } from './client.js';
export type { RdapNetwork } from './network.js';
export { checkMailbox, findAbuseContact } from './contact.js';
export { parseRetryAfter, backoffDelay } from './backoff.js';
export { RDAP_CACHE_MAX } from './cache.js';
export { updateBootstrap } from './update.js';
export type { UpdateBootstrapOptions, UpdatedFile } from './update.js';
