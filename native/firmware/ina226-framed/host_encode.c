/*
 * Host-side test driver for ddi_frame.c: reads lines "seq t_us flags voltage_bits current_bits"
 * (decimal, decimal, decimal, hex u32 of the float, hex u32 of the float) from stdin and prints
 * each encoded frame as lowercase hex. Also prints "crc <hex>" for the standard check string.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ddi_frame.h"

int main(void) {
  const char *check = "123456789";
  printf("crc %04x\n", ddi_crc16((const uint8_t *)check, (uint16_t)strlen(check)));
  unsigned seq, flags;
  uint32_t t_us, vbits, ibits;
  while (scanf("%u %" SCNu32 " %u %" SCNx32 " %" SCNx32, &seq, &t_us, &flags, &vbits, &ibits) == 5) {
    float v, i;
    memcpy(&v, &vbits, 4);
    memcpy(&i, &ibits, 4);
    uint8_t out[DDI_FRAME_SIZE];
    ddi_encode_frame(out, (uint16_t)seq, t_us, (uint8_t)flags, v, i);
    for (int k = 0; k < DDI_FRAME_SIZE; k++) printf("%02x", out[k]);
    printf("\n");
  }
  return 0;
}
