import type { Signature } from '../types.js';
import { IIS_LOOKALIKES } from './iis-2001.js';

const HONEYNET = 'honeynet-2004 corpus (Apache access_log, 2004)';

/** The Welchia-era SEARCH line as logged (cut by Apache at 8 KiB): NOP-like filler bytes. */
const WELCHIA_SEARCH = `SEARCH /\x90\x02${'\xb1\x02'.repeat(1070)}${'\x90'.repeat(5900)}`;

export const iisRelatives: Signature[] = [
  {
    id: 'webdav-search-overflow', family: 'webdav-overflow', title: 'WebDAV SEARCH overflow (Welchia/Nachi)',
    description:
      'A WebDAV SEARCH request with a path thousands of bytes long, filled with machine code: the attack on the Windows 2000 ntdll.dll overflow reachable through IIS WebDAV (MS03-007) that the Welchia (Nachi) worm used in 2003. ' +
      'On an unpatched server it runs the worm with system rights. ' +
      'The sending host is infected. To clean it: disconnect it, apply MS03-007 (and MS03-026 for the RPC hole Welchia also uses), remove the worm with an antivirus tool (look for \\system32\\wins\\dllhost.exe and svchost.exe), and disable WebDAV if unused.',
    references: ['CVE-2003-0109', 'MS03-007', 'CERT CA-2003-09'],
    stage: 'request', stageReason: 'A SEARCH target over 1 KiB is an overflow attempt; real WebDAV clients send short paths.',
    match: { target: 'raw', pattern: '^[\\s\\S]{1024}', methods: ['SEARCH'] },
    examples: {
      positive: [{ request: WELCHIA_SEARCH, source: HONEYNET }],
      negative: [{ request: 'SEARCH / HTTP/1.1', source: HONEYNET }, { request: `GET /${'a'.repeat(1500)} HTTP/1.1` }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'webdav-search-large-body', family: 'webdav-overflow', title: 'WebDAV SEARCH with an oversized body',
    description:
      'A WebDAV SEARCH request announcing a body of 64 KiB or more: exploit tools for the IIS WebDAV overflow (MS03-007) of the Welchia era carry their payload this way; real WebDAV searches are a few hundred bytes of XML. ' +
      'The sending host is probably infected or runs an exploit tool. To fix it: apply MS03-007, remove the malware, and disable WebDAV if unused.',
    references: ['CVE-2003-0109', 'MS03-007'],
    stage: 'request', stageReason: 'No WebDAV client sends a 64 KiB SEARCH query.',
    match: { target: 'headers', pattern: '(?:^|\\n)content-length: *0*[1-9][0-9]{4,}', methods: ['SEARCH'] },
    examples: {
      positive: [{ request: 'SEARCH / HTTP/1.1', headers: { 'content-length': '65536', 'content-type': 'text/xml' } }],
      negative: [{ request: 'SEARCH /exchange/ HTTP/1.1', headers: { 'content-length': '312', 'content-type': 'text/xml' } }],
    },
  },
  {
    id: 'webdav-admin-share', family: 'share-worm', title: 'Windows share (admin$/c$) probe through WebDAV',
    description:
      'PROPFIND /admin%24 or /c%24 comes from a Windows machine trying to open the administrative share \\\\your-server\\admin$ or \\\\your-server\\c$; when the SMB connection fails, Windows retries over WebDAV on port 80 ("Microsoft-WebDAV-MiniRedir"). ' +
      'Network worms of the Agobot/Phatbot, Sdbot and Deloder kind do this to every address they find, trying to copy themselves onto the share with guessed passwords. ' +
      'The sending host is very likely infected with such a bot. To clean it: remove the malware with an antivirus tool, set strong administrator passwords, and block SMB (ports 139/445) from the Internet.',
    references: ['Windows WebDAV Mini-Redirector fallback (User-Agent Microsoft-WebDAV-MiniRedir)'],
    stage: '404', stageReason: 'A WebDAV folder with that name may exist on purpose; only a miss is the worm\'s share scan.',
    match: { target: 'path', pattern: '^/(?:admin|ipc|print|[a-h])\\$$', literals: ['$'], methods: ['PROPFIND'] },
    examples: {
      positive: [
        { request: 'PROPFIND /admin%24 HTTP/1.1', headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/5.1.2600' }, source: HONEYNET },
        { request: 'PROPFIND /c%24 HTTP/1.1', headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/5.1.2600' }, source: HONEYNET },
      ],
      negative: [
        { request: 'PROPFIND / HTTP/1.1', headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/5.1.2600' }, source: HONEYNET },
        { request: 'GET /admin%24 HTTP/1.1' },
      ],
    },
  },
  {
    id: 'iis-nsiislog', family: 'iis-exploit', title: 'Windows Media nsiislog.dll overflow probe',
    description:
      'nsiislog.dll is the Windows Media Services logging extension for IIS; in 2003 two buffer overflows in it (MS03-019, MS03-022) let a single POST take over the server, and worms and bots probed for it with GET /scripts/nsiislog.dll. ' +
      'A request for it where it does not exist means the sender is scanning for vulnerable servers. ' +
      'The sending host is probably infected by a bot or runs a scanner. To fix a server that has the file: apply MS03-022 or remove Windows Media logging.',
    references: ['CVE-2003-0227', 'CVE-2003-0349', 'MS03-019', 'MS03-022'],
    stage: '404', stageReason: 'Windows Media Services clients legitimately post logs to nsiislog.dll where it is installed.',
    match: { target: 'path', pattern: '/nsiislog\\.dll$', literals: ['nsiislog.dll'] },
    examples: {
      positive: [{ request: 'GET /scripts/nsiislog.dll', source: HONEYNET }],
      negative: [{ request: 'GET /docs/nsiislog.dll.html HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'iis-fp30reg', family: 'iis-exploit', title: 'FrontPage fp30reg.dll overflow probe',
    description:
      'fp30reg.dll (and fp4areg.dll) belong to the FrontPage Server Extensions; a buffer overflow in them (MS03-051) lets a single request run code on IIS, and bots of 2003-2004 sent POST /_vti_bin/_vti_aut/fp30reg.dll to every server. ' +
      'The sending host is probably infected by a bot or runs an exploit tool. To fix a server that has the file: apply MS03-051 or uninstall the FrontPage Server Extensions.',
    references: ['CVE-2003-0822', 'MS03-051'],
    stage: '404', stageReason: 'FrontPage clients legitimately use the file where the extensions are installed.',
    match: { target: 'path', pattern: '/fp(?:30|4a)reg\\.dll$', literals: ['reg.dll'] },
    examples: {
      positive: [{ request: 'POST /_vti_bin/_vti_aut/fp30reg.dll HTTP/1.1', source: HONEYNET }],
      negative: [{ request: 'POST /_vti_bin/_vti_aut/author.dll HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
];
