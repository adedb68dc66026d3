/**
 * The PPK2 device of the pty benchmarks, run in a child process so that nothing the measured process
 * does (blocking, stalls) slows the device down. A repeating pattern switches through ranges 0-3
 * (10 µA to 50 mA), with one digital line toggling every 10 ms. Answers {report: true} with its
 * sample counters.
 */
import { Ppk2Emulator } from '../../tests/unit/meters/emulators/ppk2-emulator';

export function runPpk2Child(devicePath: string): void {
  const emu = new Ppk2Emulator();
  const pattern = Array.from({ length: 1000 }, (_, k) => 1e-5 * 10 ** ((3.7 * (k % 500)) / 500));
  emu.current = (i) => pattern[i % 1000]!;
  setInterval(() => (emu.digital ^= 1), 10);
  void emu.attach(devicePath).then(() => process.send?.({ ready: true }));
  process.on('message', (m: { report?: boolean }) => {
    if (m.report) process.send?.({ generated: emu.index, sent: emu.sentSamples, starts: emu.starts });
  });
}
