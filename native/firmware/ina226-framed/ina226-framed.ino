// DDI Profiler DIY meter: INA226 on I2C -> DDI INA frame v1 over USB serial.
// Format: docs/ina-frame-format.md. Wiring, shunt and build steps: README.md next to this file.
#include <Arduino.h>
#include <Wire.h>

#include "ddi_frame.h"

// ---- Configure for your board -------------------------------------------------------------
static const uint8_t INA_ADDR = 0x40;        // A0 = A1 = GND
static const float SHUNT_OHM = 0.1f;         // R100 on the common purple INA226 modules
static const uint32_t SERIAL_BAUD = 115200;  // ignored by USB CDC boards (RP2040, 32u4)
// Config register (TI INA226 datasheet): bit 14 reserved (reads 1), AVG bits 11-9, VBUSCT 8-6,
// VSHCT 5-3, MODE 2-0. AVG=4 (code 1), 332 us bus + 332 us shunt (code 2), continuous shunt+bus
// (mode 7): one sample per ~2.7 ms, ~376 samples/s.
static const uint16_t INA_CONFIG = 0x4000 | (1 << 9) | (2 << 6) | (2 << 3) | 7;
// --------------------------------------------------------------------------------------------

static const uint8_t REG_CONFIG = 0x00, REG_SHUNT = 0x01, REG_BUS = 0x02, REG_MASK = 0x06,
                     REG_MANUF = 0xFE;
static const uint16_t MASK_CVRF = 1 << 3;  // conversion ready flag
static const uint16_t MASK_OVF = 1 << 2;   // math overflow flag

static uint16_t seq = 0;

static bool writeReg(uint8_t reg, uint16_t value) {
  Wire.beginTransmission(INA_ADDR);
  Wire.write(reg);
  Wire.write((uint8_t)(value >> 8));
  Wire.write((uint8_t)(value & 0xFF));
  return Wire.endTransmission() == 0;
}

static bool readReg(uint8_t reg, uint16_t *value) {
  Wire.beginTransmission(INA_ADDR);
  Wire.write(reg);
  if (Wire.endTransmission(false) != 0) return false;
  if (Wire.requestFrom(INA_ADDR, (uint8_t)2) != 2) return false;
  uint16_t hi = Wire.read();
  uint16_t lo = Wire.read();
  *value = (uint16_t)((hi << 8) | lo);
  return true;
}

static bool inaPresent() {
  uint16_t id = 0;
  return readReg(REG_MANUF, &id) && id == 0x5449;  // "TI"
}

void setup() {
  Serial.begin(SERIAL_BAUD);
  Wire.begin();
  Wire.setClock(400000);
  while (!inaPresent()) {
    // Text lines starting with '#' are ignored by the DDI Profiler parser but readable in a terminal.
    Serial.println("# ddi-ina226: no INA226 at 0x40; check SDA/SCL/VCC/GND wiring");
    delay(1000);
  }
  writeReg(REG_CONFIG, 0x8000);  // reset
  delay(2);
  writeReg(REG_CONFIG, INA_CONFIG);
  Serial.print("# ddi-ina226 v1 shunt_ohm=");
  Serial.println(SHUNT_OHM, 4);
}

void loop() {
  uint16_t mask = 0;
  if (!readReg(REG_MASK, &mask) || !(mask & MASK_CVRF)) return;  // reading MASK clears CVRF
  uint32_t t_us = micros();
  uint16_t shuntRaw = 0, busRaw = 0;
  if (!readReg(REG_SHUNT, &shuntRaw) || !readReg(REG_BUS, &busRaw)) {
    seq++;  // a sample existed but was lost: the host sees the sequence jump as a gap
    return;
  }
  // Shunt voltage LSB 2.5 uV (signed), bus voltage LSB 1.25 mV: current from Ohm's law avoids the
  // rounding of the calibration register.
  float shuntV = (int16_t)shuntRaw * 2.5e-6f;
  float busV = busRaw * 1.25e-3f;
  uint8_t frame[DDI_FRAME_SIZE];
  ddi_encode_frame(frame, seq++, t_us, (mask & MASK_OVF) ? DDI_FRAME_FLAG_OVERFLOW : 0, busV, shuntV / SHUNT_OHM);
  // Drop rather than block when the host is not reading, so timing stays exact; the sequence
  // number still advances, so the host records the loss as a gap.
  if (Serial.availableForWrite() >= DDI_FRAME_SIZE) Serial.write(frame, DDI_FRAME_SIZE);
}
