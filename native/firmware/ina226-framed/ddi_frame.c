#include "ddi_frame.h"

#include <string.h>

uint16_t ddi_crc16(const uint8_t *data, uint16_t len) {
  uint16_t crc = 0xFFFF;
  for (uint16_t i = 0; i < len; i++) {
    crc ^= (uint16_t)data[i] << 8;
    for (uint8_t b = 0; b < 8; b++) {
      crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
  }
  return crc;
}

/* Byte-by-byte little-endian stores: correct on any host byte order and alignment. */
static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v & 0xFF);
  p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)((v >> (8 * i)) & 0xFF);
}

static void put_f32(uint8_t *p, float f) {
  uint32_t bits;
  /* The supported MCUs (AVR, RP2040, ESP32) and hosts use IEEE-754 binary32 floats. */
  memcpy(&bits, &f, sizeof bits);
  put_u32(p, bits);
}

void ddi_encode_frame(uint8_t out[DDI_FRAME_SIZE], uint16_t seq, uint32_t t_us, uint8_t flags,
                      float voltage_v, float current_a) {
  out[0] = 0xA5;
  out[1] = 0x5A;
  out[2] = DDI_FRAME_TYPE_SAMPLE;
  out[3] = flags;
  put_u16(out + 4, seq);
  put_u32(out + 6, t_us);
  put_f32(out + 10, voltage_v);
  put_f32(out + 14, current_a);
  put_u16(out + 18, ddi_crc16(out + 2, 16));
}
