/**
 * Opt-in probing of a serial port: tries each driver's handshake in turn and reports which
 * answered. It writes bytes to the port (a PPK2 metadata request, a UM status request, *IDN?), so
 * it only runs when the user asks ("Probe" on the Meters page, `ddi-profiler meters --probe`).
 * The order starts with the passive check (listening 1.5 × the reply timeout for an INA board) and puts the binary
 * single-byte requests before the ASCII ones; the first positive answer wins.
 */
import { decodeUmFrame, UM_FRAME_SIZE, UM_REQUEST } from './um/frame';
import { InaStreamParser } from './ina/stream-parser';
import { readReply, SerialLink, sleep, type ByteLink } from './link';
import { looksLikePpk2Metadata } from './ppk2/metadata';
import { parseKoradIdn } from './korad/protocol';

export interface ProbeResult {
  driver: string;
  /** What answered, e.g. the *IDN? string or "DDI INA frames". */
  detail: string;
  baudRate: number;
}

export interface ProbeOptions {
  /** Per-step reply timeout (default 800 ms). */
  timeoutMs?: number;
  /** For tests: make links without serialport. */
  makeLink?: (path: string, baudRate: number) => ByteLink;
}

type Step = { baudRate: number; run: (link: ByteLink, timeoutMs: number) => Promise<Omit<ProbeResult, 'baudRate'> | undefined> };

const STEPS: Step[] = [
  {
    baudRate: 115200,
    async run(link, timeoutMs) {
      const parser = new InaStreamParser();
      let frames = 0;
      let lines = 0;
      const off = link.on('data', (d) => {
        const r = parser.push(d);
        frames += r.frames.length;
        lines += r.text.length;
      });
      // Listen a little longer than a reply timeout: slow boards print a few lines per second.
      const listenMs = Math.round(timeoutMs * 1.5);
      await sleep(listenMs);
      off();
      if (frames >= 2) return { driver: 'ina', detail: `DDI INA frames (${frames} in ${listenMs} ms)` };
      if (lines >= 2) return { driver: 'ina', detail: `INA text lines (${lines} parsed)` };
      return undefined;
    },
  },
  {
    baudRate: 115200,
    async run(link, timeoutMs) {
      await link.write(Uint8Array.of(0x07)); // stop a stream left running
      await sleep(50);
      link.discardInput();
      const reply = readReply(link, (d) => looksLikePpk2Metadata(d.toString('latin1')), timeoutMs);
      await link.write(Uint8Array.of(0x19));
      const r = await reply;
      if (!r.complete) return undefined;
      const hw = /HW:\s*(\S+)/.exec(r.data.toString('latin1'))?.[1];
      return { driver: 'ppk2', detail: `Nordic PPK2${hw ? ` (HW ${hw})` : ''}` };
    },
  },
  {
    baudRate: 115200,
    async run(link, timeoutMs) {
      const reply = readReply(
        link,
        (d) => {
          for (let p = 0; p + UM_FRAME_SIZE <= d.length; p++) if (decodeUmFrame(d, p)) return true;
          return false;
        },
        timeoutMs,
      );
      await link.write(Uint8Array.of(UM_REQUEST));
      const r = await reply;
      if (!r.complete) return undefined;
      for (let p = 0; p + UM_FRAME_SIZE <= r.data.length; p++) {
        const f = decodeUmFrame(r.data, p);
        if (f) return { driver: 'um', detail: `RDTech ${f.model}` };
      }
      return undefined;
    },
  },
  {
    baudRate: 9600,
    async run(link, timeoutMs) {
      // Korad replies have no terminator; a SCPI instrument waits for a newline and stays silent.
      const reply = readReply(link, () => false, timeoutMs, 60);
      await link.write('*IDN?');
      const r = await reply;
      if (r.data.length === 0 || r.data.includes(0x0a)) return undefined;
      const idn = parseKoradIdn(r.data);
      return idn ? { driver: 'korad', detail: idn } : undefined;
    },
  },
  {
    baudRate: 9600,
    async run(link, timeoutMs) {
      const reply = readReply(link, (d) => d.includes(0x0a), timeoutMs);
      // The leading newline ends any partial command left by the earlier probe steps.
      await link.write('\n*IDN?\n');
      const r = await reply;
      if (!r.complete) return undefined;
      const line = r.data.toString('latin1').split('\n')[0]!.replace(/\r$/, '').trim();
      return /^[\x20-\x7e]{3,}$/.test(line) ? { driver: 'scpi', detail: line } : undefined;
    },
  },
];

export async function probePort(path: string, options: ProbeOptions = {}): Promise<ProbeResult[]> {
  const timeoutMs = options.timeoutMs ?? 800;
  const make = options.makeLink ?? ((p: string, baudRate: number) => new SerialLink({ path: p, baudRate }));
  for (const step of STEPS) {
    const link = make(path, step.baudRate);
    try {
      await link.open();
    } catch {
      return []; // the port cannot be opened at all: nothing to probe
    }
    try {
      const found = await step.run(link, timeoutMs);
      if (found) return [{ ...found, baudRate: step.baudRate }];
    } catch {
      // a write failed (port vanished): try the next step, which will fail to open and stop
    } finally {
      await link.close();
    }
  }
  return [];
}
