/**
 * The one place the renderer reaches into src-main: the contract (types, zod schemas, names).
 * Everything else in the renderer imports from here; unused runtime parts are tree-shaken.
 */
export * from '../../../src-main/contract/index';
