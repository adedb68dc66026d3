/*
 * DDI INA frame v1 encoder (format: docs/ina-frame-format.md in the DDI Profiler repository).
 * Plain C99 with no Arduino dependency, so the same file is compiled into the sketch and, on the
 * host, into the test that checks it against data/meters/ina-frame-vectors.json.
 */
#ifndef DDI_FRAME_H
#define DDI_FRAME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DDI_FRAME_SIZE 20
#define DDI_FRAME_TYPE_SAMPLE 0x01
#define DDI_FRAME_FLAG_OVERFLOW 0x01

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR). */
uint16_t ddi_crc16(const uint8_t *data, uint16_t len);

/* Writes one 20-byte sample frame into out. Floats are IEEE-754 single precision, little-endian. */
void ddi_encode_frame(uint8_t out[DDI_FRAME_SIZE], uint16_t seq, uint32_t t_us, uint8_t flags,
                      float voltage_v, float current_a);

#ifdef __cplusplus
}
#endif

#endif
