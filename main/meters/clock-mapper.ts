/**
 * Maps a device clock (µs, wrapping u32) onto the host monotonic clock. Every sample's one-way
 * delay (host arrival − device time) is at least the true offset plus the minimum transport delay,
 * so the smallest delay seen recently is the best offset estimate; taking it over a sliding window
 * (two half-windows) lets it follow slow crystal drift without jumping with USB/batching jitter.
 */
export class DeviceClockMapper {
  private lastRawUs = -1;
  private wraps = 0;
  private minCur = Number.POSITIVE_INFINITY;
  private minPrev = Number.POSITIVE_INFINITY;
  private windowStartNs = -1;

  constructor(
    private readonly windowNs = 10e9,
    private readonly wrapUs = 2 ** 32,
  ) {}

  /** Extends a wrapping device timestamp to a monotonic µs count (one wrap per call at most). */
  extend(rawUs: number): number {
    if (this.lastRawUs >= 0 && rawUs < this.lastRawUs && this.lastRawUs - rawUs > this.wrapUs / 2) this.wraps++;
    this.lastRawUs = rawUs;
    return rawUs + this.wraps * this.wrapUs;
  }

  /** Feeds one observation: device time (extended µs) of a sample and the host time it arrived. */
  observe(deviceUs: number, arrivalNs: number): void {
    const offset = arrivalNs - deviceUs * 1000;
    if (this.windowStartNs < 0) this.windowStartNs = arrivalNs;
    if (arrivalNs - this.windowStartNs > this.windowNs / 2) {
      this.minPrev = this.minCur;
      this.minCur = Number.POSITIVE_INFINITY;
      this.windowStartNs = arrivalNs;
    }
    this.minCur = Math.min(this.minCur, offset);
  }

  /** Host time of a device timestamp (extended µs). */
  toHostNs(deviceUs: number): number {
    const offset = Math.min(this.minCur, this.minPrev);
    return deviceUs * 1000 + offset;
  }

  reset(): void {
    this.lastRawUs = -1;
    this.wraps = 0;
    this.minCur = Number.POSITIVE_INFINITY;
    this.minPrev = Number.POSITIVE_INFINITY;
    this.windowStartNs = -1;
  }
}
