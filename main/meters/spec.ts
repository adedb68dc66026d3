import { UserError } from '../util/errors';
import type { MeterSpec } from './types';

/**
 * Parses DRIVER[:PORT][@BAUD]. The port may itself contain colons (scpi:tcp://host:5025), so the
 * driver is everything before the first colon and the baud rate is a trailing @digits only.
 */
export function parseMeterSpec(text: string): MeterSpec {
  const trimmed = text.trim();
  const m = /^([a-z][a-z0-9_-]*)(?::(.+?))?(?:@(\d+))?$/i.exec(trimmed);
  if (!m) {
    throw new UserError(`"${text}" is not a meter spec; write DRIVER[:PORT][@BAUD], for example sim or ppk2:/dev/ttyACM0.`, 'bad-meter-spec');
  }
  const spec: MeterSpec = { driver: m[1]!.toLowerCase(), text: trimmed };
  if (m[2]) spec.port = m[2];
  if (m[3]) spec.baudRate = Number(m[3]);
  return spec;
}
