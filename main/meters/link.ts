/**
 * Byte transports for meter drivers: a serial port (USB CDC, USB-serial, Bluetooth SPP, pty) or a
 * raw TCP socket (SCPI on port 5025). Drivers talk to a ByteLink only, so parsing never touches
 * port I/O and both transports behave the same way: bytes in (optionally batched), bytes out, and
 * one 'lost' notification when the other end goes away.
 */
import { connect, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { TypedEmitter } from '../util/emitter';
import { monotonicNs } from '../util/clock';
import { UserError, errorMessage } from '../util/errors';

export interface LinkEvents {
  data: Buffer;
  /** The port or socket went away without close() (cable pulled, device reset, peer closed). */
  lost: string;
}

export interface ByteLink extends Pick<TypedEmitter<LinkEvents>, 'on' | 'off'> {
  readonly description: string;
  open(): Promise<void>;
  write(bytes: Uint8Array | string): Promise<void>;
  /** Drops bytes received but not yet delivered (used before a handshake). */
  discardInput(): void;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export interface SerialLinkOptions {
  path: string;
  baudRate?: number;
  /**
   * Deliver received bytes at most every batchMs (0 = as they arrive). Streaming drivers use ~30 ms
   * so parsing and everything downstream runs in batches, as in Nordic's PPK app.
   */
  batchMs?: number;
  /**
   * Start a read at most every readIntervalMs (0 = read as soon as bytes arrive), except while
   * draining a backlog (ReadPacer). A USB meter streaming 64-byte packets wakes the reader
   * thousands of times a second, and each wake costs serialport two thread-pool round trips and a
   * thrown EAGAIN; the kernel's tty buffer holds what arrives in between, so a paced read takes it
   * all at once.
   */
  readIntervalMs?: number;
  rtscts?: boolean;
}

/**
 * A read this large means bytes are piling up in the kernel: Linux's tty line discipline hands over
 * at most 4096 bytes per read (N_TTY_BUF_SIZE), the rest waits in the tty buffers, and a device
 * that cannot send drops samples (a PPK2's FIFO holds 0.3 s).
 */
export const BACKLOG_READ_BYTES = 3072;
/** A read this small means the backlog is gone: the kernel had no more than a few packets. */
export const DRAINED_READ_BYTES = 512;

/**
 * When the next read may start. After a read that found a backlog, reads follow at once until one
 * comes back nearly empty: the line discipline refills from the tty buffers asynchronously, so a
 * read right after a full one can come back half full while the backlog is still there, and
 * pausing then would drain a stalled device at only about twice its stream rate.
 */
export class ReadPacer {
  private draining = false;
  constructor(private readonly intervalMs: number) {}
  /** Delay (ms) before the next read, given the last read's size and the time since it started. */
  delayMs(lastReadBytes: number, msSinceLastRead: number): number {
    if (lastReadBytes >= BACKLOG_READ_BYTES) this.draining = true;
    else if (lastReadBytes < DRAINED_READ_BYTES) this.draining = false;
    return this.draining ? 0 : Math.max(0, this.intervalMs - msSinceLastRead);
  }
}

/** A serial port whose reads start at most every `intervalMs` unless a backlog builds; see SerialLinkOptions.readIntervalMs. */
class PacedSerialPort extends SerialPort {
  private lastReadNs = 0;
  private lastReadBytes = 0;
  private pending: NodeJS.Timeout | undefined;
  private readonly pacer: ReadPacer;
  constructor(options: ConstructorParameters<typeof SerialPort>[0], intervalMs: number) {
    super(options);
    this.pacer = new ReadPacer(intervalMs);
    this.once('close', () => clearTimeout(this.pending));
  }
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (Buffer.isBuffer(chunk)) this.lastReadBytes = chunk.length;
    return super.push(chunk, encoding);
  }
  override _read(size: number): void {
    const waitMs = this.pacer.delayMs(this.lastReadBytes, (monotonicNs() - this.lastReadNs) / 1e6);
    const read = () => {
      this.pending = undefined;
      this.lastReadNs = monotonicNs();
      super._read(size);
    };
    if (waitMs <= 0) read();
    else this.pending = setTimeout(read, waitMs);
  }
}

/** Collects bytes and hands them over in batches, so high-rate streams cost one callback per batch. */
class Batcher {
  private parts: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly batchMs: number,
    private readonly deliver: (data: Buffer) => void,
  ) {}
  push(data: Buffer): void {
    if (this.batchMs <= 0) {
      this.deliver(data);
      return;
    }
    this.parts.push(data);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.deliver(data);
  }
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parts = [];
  }
}

export class SerialLink extends TypedEmitter<LinkEvents> implements ByteLink {
  private port: SerialPort | undefined;
  private closing = false;
  private readonly batcher: Batcher;

  constructor(private readonly options: SerialLinkOptions) {
    super();
    this.batcher = new Batcher(options.batchMs ?? 0, (d) => this.emit('data', d));
  }

  get description(): string {
    return this.options.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  open(): Promise<void> {
    this.closing = false;
    return new Promise((resolve, reject) => {
      const settings = {
        path: this.options.path,
        baudRate: this.options.baudRate ?? 115200,
        rtscts: this.options.rtscts ?? false,
        autoOpen: false,
      };
      const interval = this.options.readIntervalMs ?? 0;
      const port = interval > 0 ? new PacedSerialPort(settings, interval) : new SerialPort(settings);
      port.open((err) => {
        if (err) {
          reject(openError(this.options.path, err));
          return;
        }
        this.port = port;
        port.on('data', (d: Buffer) => this.batcher.push(d));
        port.on('close', (e?: Error & { disconnected?: boolean }) => {
          this.batcher.flush();
          if (this.closing) return;
          this.port = undefined;
          this.emit('lost', `the port ${this.options.path} closed unexpectedly${e ? ` (${e.message})` : ''}`);
        });
        // Errors after open also surface as 'close'; listening here keeps them from being unhandled.
        port.on('error', () => undefined);
        resolve();
      });
    });
  }

  write(bytes: Uint8Array | string): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new Error(`the port ${this.options.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes), (err) => (err ? reject(err) : resolve()));
    });
  }

  discardInput(): void {
    this.batcher.clear();
  }

  close(): Promise<void> {
    this.closing = true;
    this.batcher.clear();
    const port = this.port;
    this.port = undefined;
    if (!port || !port.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}

function openError(path: string, err: Error): UserError {
  const msg = errorMessage(err);
  if (/ENOENT|No such file/i.test(msg)) {
    return new UserError(`The port ${path} does not exist; plug the meter in or pick a port from "ddi-profiler meters".`, 'port-missing');
  }
  if (/EACCES|Permission denied/i.test(msg)) {
    return new UserError(`No permission to open ${path}; add yourself to the "dialout" group (or install the udev rules) and log in again.`, 'port-permission');
  }
  if (/busy|lock/i.test(msg)) {
    return new UserError(`The port ${path} is in use by another program; close it there and try again.`, 'port-busy');
  }
  return new UserError(`Cannot open ${path} (${msg}); check the cable and the port name.`, 'port-open');
}

export interface TcpLinkOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  batchMs?: number;
}

export class TcpLink extends TypedEmitter<LinkEvents> implements ByteLink {
  private socket: Socket | undefined;
  private closing = false;
  private readonly batcher: Batcher;

  constructor(private readonly options: TcpLinkOptions) {
    super();
    this.batcher = new Batcher(options.batchMs ?? 0, (d) => this.emit('data', d));
  }

  get description(): string {
    return `tcp://${this.options.host}:${this.options.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  open(): Promise<void> {
    this.closing = false;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new UserError(
            `No answer from ${this.description} within ${this.options.connectTimeoutMs ?? 3000} ms; check the address and that the instrument's LAN/SCPI socket is enabled.`,
            'tcp-timeout',
          ),
        );
      }, this.options.connectTimeoutMs ?? 3000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new UserError(`Cannot connect to ${this.description} (${err.message}); check the address, port and network.`, 'tcp-connect'));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        this.socket = socket;
        socket.removeAllListeners('error');
        socket.on('error', () => undefined); // reported through 'close'
        socket.on('data', (d) => this.batcher.push(d));
        socket.on('close', () => {
          this.batcher.flush();
          if (this.closing) return;
          this.socket = undefined;
          this.emit('lost', `the connection to ${this.description} closed unexpectedly`);
        });
        resolve();
      });
    });
  }

  write(bytes: Uint8Array | string): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`${this.description} is not connected`));
    return new Promise((resolve, reject) => {
      socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  discardInput(): void {
    this.batcher.clear();
  }

  close(): Promise<void> {
    this.closing = true;
    this.batcher.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 200).unref();
    });
  }
}

/**
 * Waits for bytes from a link until `done(buffer)` says the reply is complete, or times out.
 * Used for handshakes and request/response protocols; the collected bytes are returned.
 */
export function readReply(
  link: ByteLink,
  done: (received: Buffer) => boolean,
  timeoutMs: number,
  idleMs?: number,
): Promise<{ data: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    let data: Buffer = Buffer.alloc(0);
    let idleTimer: NodeJS.Timeout | undefined;
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      if (idleTimer) clearTimeout(idleTimer);
      link.off('data', onData);
      link.off('lost', onLost);
      resolve({ data, complete });
    };
    const onData = (d: Buffer) => {
      data = data.length === 0 ? d : Buffer.concat([data, d]);
      if (done(data)) return finish(true);
      if (idleMs !== undefined) {
        if (idleTimer) clearTimeout(idleTimer);
        idleTimer = setTimeout(() => finish(false), idleMs);
      }
    };
    const onLost = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    link.on('data', onData);
    link.on('lost', onLost);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
