/** What the figures were measured on (they mean little without it). */
import { cpus, loadavg, totalmem, release, platform } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  wrk: string;
  nginx: string;
  /** 1-minute load average when the run started (others' work on a shared machine shows here). */
  loadAverageAtStart: number;
}

export function describeMachine(wrk: string, nginx: string): Machine {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    wrk,
    nginx,
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}
