// dns2 2.x ships no types; the tests use only createServer/Packet.
declare module 'dns2';
