/** Error codes the contract can return. Messages are for people; codes are for code. */
export const ERROR_CODES = [
  'unknown_command',
  'invalid_request',
  'not_found',
  'conflict',
  'unauthorized',
  'forbidden',
  'cancelled',
  'db_too_new',
  'db_corrupt',
  'db_locked',
  'db_open_failed',
  'bad_input',
  'model_invalid',
  'model_failed',
  'provider_error',
  'limit_exceeded',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What crosses a host boundary when a command fails: never a stack or a file path. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

export class WorkbenchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'WorkbenchError';
    this.code = code;
  }
}

const PATH_LIKE = /(?:[A-Za-z]:\\|\/)(?:[^\s'"`:]+[\\/])+[^\s'"`:]*/g;

/** Turns anything thrown into a safe payload: known errors keep their message; others are generic. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof WorkbenchError) {
    return { code: err.code, message: scrubMessage(err.message) };
  }
  return { code: 'internal', message: 'Something went wrong inside the workbench. Details are in the local log.' };
}

/** Removes file-system paths from a message meant for the UI. */
export function scrubMessage(message: string): string {
  return message.replace(PATH_LIKE, '<path>');
}
