export * from './closeCodes.js';
export * from './codec.js';
export * from './errors.js';
export * from './limits.js';
export * from './messages.js';
export * from './turn.js';
