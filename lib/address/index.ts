export * from './standardize.js';
export { ADDRESS_MACROS, installAddressMacros } from './sql.js';
export { DIRECTIONALS, STREET_SUFFIXES, UNIT_DESIGNATORS, STATE_CODES } from './tables.js';
