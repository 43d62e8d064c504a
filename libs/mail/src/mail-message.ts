/** One mail to one recipient. `text` is required (every client can show it); `html` is optional. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export const MAIL_QUEUE = 'mail';

/** A plain address: one @, no spaces, no angle brackets or line breaks (nothing a header could be split with). */
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;
const MAX_SUBJECT = 300;

export class InvalidMailError extends Error {
  constructor(problem: string) {
    super(`Invalid mail: ${problem}`);
    this.name = 'InvalidMailError';
  }
}

/** A programming error, not a user's: the caller builds the mail. */
export function assertValidMail(message: MailMessage): void {
  if (!ADDRESS.test(message.to) || message.to.length > 320) {
    throw new InvalidMailError('"to" must be one plain email address');
  }
  if (!message.subject || /[\r\n]/.test(message.subject) || message.subject.length > MAX_SUBJECT) {
    throw new InvalidMailError(`"subject" must be one line of at most ${MAX_SUBJECT} characters`);
  }
  if (!message.text) {
    throw new InvalidMailError('"text" is required');
  }
}

/** What logs may say about a recipient: the domain, never the address. */
export function recipientDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1).toLowerCase() : 'unknown';
}
