import { describe, expect, it } from 'vitest';
import { InaStreamParser } from '../../../main/meters/ina/stream-parser';

function parse(text: string, opts = {}) {
  const p = new InaStreamParser(opts);
  const r = p.push(Buffer.from(text));
  return { samples: r.text, parser: p };
}

describe('INA text formats', () => {
  it('CSV with a header: columns by name, units from the header', () => {
    const { samples } = parse('ms,V,mA,mW\r\n10,5.00,250.0,1250\r\n20,4.98,300.5,1496.5\r\n');
    expect(samples).toHaveLength(2);
    expect(samples[0]!.voltageV).toBeCloseTo(5.0);
    expect(samples[0]!.currentA).toBeCloseTo(0.25);
    expect(samples[0]!.powerW).toBeCloseTo(1.25);
    expect(samples[1]!.currentA).toBeCloseTo(0.3005);
  });

  it('semicolon CSV with descriptive header names', () => {
    const { samples } = parse('Bus Voltage (V);Current (mA)\n3.3;12.5\n');
    expect(samples).toHaveLength(1);
    expect(samples[0]!.voltageV).toBeCloseTo(3.3);
    expect(samples[0]!.currentA).toBeCloseTo(0.0125);
    expect(samples[0]!.powerW).toBeCloseTo(3.3 * 0.0125);
  });

  it('Arduino plotter and Teleplot label:value lines', () => {
    const { samples } = parse('busV:3.30 current_mA:12.5\nV:5.1,I:0.2\n>mA:1234:7.5\n');
    expect(samples).toHaveLength(2);
    expect(samples[0]!.voltageV).toBeCloseTo(3.3);
    expect(samples[0]!.currentA).toBeCloseTo(0.0125);
    expect(samples[1]!.currentA).toBeCloseTo(0.2);
    // The Teleplot line has only a current: it joins a block, emitted when the block ends.
    const { samples: tele } = parse('>mA:1234:7.5\n\n');
    expect(tele[0]!.currentA).toBeCloseTo(0.0075);
    expect(Number.isNaN(tele[0]!.voltageV)).toBe(true);
  });

  it('Adafruit-style blocks separated by blank lines (CRLF safe)', () => {
    const block = 'Bus Voltage:   3.30 V\r\nShunt Voltage: 1.25 mV\r\nLoad Voltage:  3.31 V\r\nCurrent:       12.50 mA\r\nPower:         41.25 mW\r\n\r\n';
    const { samples } = parse(block + block.replace('12.50', '20.00'));
    expect(samples).toHaveLength(2);
    expect(samples[0]!.currentA).toBeCloseTo(0.0125);
    expect(samples[0]!.powerW).toBeCloseTo(0.04125);
    expect(samples[1]!.currentA).toBeCloseTo(0.02);
  });

  it('bare "V I" pairs with units from the settings', () => {
    expect(parse('5.0 0.25\n').samples[0]!.currentA).toBeCloseTo(0.25);
    const { samples } = parse('5000 250\n', { plainVoltageUnit: 'mV', plainCurrentUnit: 'mA' });
    expect(samples[0]!.voltageV).toBeCloseTo(5);
    expect(samples[0]!.currentA).toBeCloseTo(0.25);
  });

  it('skips and counts lines that do not parse fully', () => {
    const { samples, parser } = parse('5.0 0.25\n5.0 abc\nhello world\n1 2 3 4 5\n\u0001\u0002\n5.0 0.30\n');
    expect(samples.map((s) => s.currentA)).toEqual([0.25, 0.3]);
    expect(parser.badLines).toBeGreaterThanOrEqual(3);
  });
});
