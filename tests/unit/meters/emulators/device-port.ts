/**
 * The device side of a pty pair, opened through serialport like any port. Emulators extend this
 * and implement onBytes(); write() sends bytes to the driver.
 */
import { SerialPort } from 'serialport';

export abstract class DevicePort {
  protected port: SerialPort | undefined;
  /** Everything the driver sent, for assertions. */
  received: number[] = [];

  async attach(path: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
      port.open((err) => {
        if (err) return reject(err);
        this.port = port;
        port.on('data', (d: Buffer) => {
          for (const b of d) this.received.push(b);
          this.onBytes(d);
        });
        port.on('error', () => undefined);
        port.on('close', () => {
          if (this.port === port) this.port = undefined;
          this.onDetached();
        });
        resolve();
      });
    });
  }

  get attached(): boolean {
    return this.port?.isOpen ?? false;
  }

  write(bytes: Uint8Array | string): void {
    const port = this.port;
    if (!port || !port.isOpen) return;
    port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  }

  async detach(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.onDetached();
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }

  protected abstract onBytes(data: Buffer): void;
  protected onDetached(): void {}
}

export const waitFor = async (cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
