/**
 * Schema v2. Meters that measure current only but set the supply themselves (the PPK2 in source
 * mode) know the voltage: it is stored per session so mean power and energy can be derived from
 * current. The summary says when power was derived this way.
 */
export const sql = `
ALTER TABLE sessions ADD COLUMN nominal_voltage_v REAL;
`;
