/**
 * The one error type cnibench shows to users. Every failure a user can cause or fix (bad input, missing tool, kernel
 * feature, not root) is thrown as a CnibenchError whose `message` says what is wrong and whose `hint` says what to do.
 * The CLI edge prints both on one line and maps `exitCode`; nothing else in the code prints errors.
 */

/** Exit codes, stable for scripts: 1 failure, 2 usage, 4 skipped because this host cannot do it (kselftest's skip). */
export const ExitCode = { failure: 1, usage: 2, unsupported: 4, interrupted: 130 } as const

export type ErrorCode =
  | 'E_USAGE'
  | 'E_NOT_ROOT'
  | 'E_UNKNOWN_DATAPATH'
  | 'E_UNSUPPORTED'
  | 'E_MISSING_TOOL'
  | 'E_LAB_EXISTS'
  | 'E_LAB_NOT_FOUND'
  | 'E_ADDRESSING'
  | 'E_COMMAND'
  | 'E_INTERRUPTED'
  | 'E_STORE'
  | 'E_CONFIG'
  | 'E_PARSE'
  | 'E_RUN'
  | 'E_BUSY'

export class CnibenchError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly exitCode: number

  constructor(code: ErrorCode, message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'CnibenchError'
    this.code = code
    this.hint = opts.hint
    this.exitCode = opts.exitCode ?? defaultExitCode(code)
  }

  /** The single line the CLI prints: what is wrong, then what to do about it. */
  oneLine(): string {
    const message = this.message.replace(/\s*\n\s*/g, ' ')
    return this.hint ? `${message}; ${this.hint}` : message
  }
}

function defaultExitCode(code: ErrorCode): number {
  switch (code) {
    case 'E_USAGE':
    case 'E_UNKNOWN_DATAPATH':
    case 'E_ADDRESSING':
    case 'E_CONFIG':
      return ExitCode.usage
    case 'E_UNSUPPORTED':
    case 'E_MISSING_TOOL':
      return ExitCode.unsupported
    case 'E_INTERRUPTED':
      return ExitCode.interrupted
    default:
      return ExitCode.failure
  }
}
