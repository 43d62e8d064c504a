/**
 * Mails carry one-time links, which are secrets: a queued mail is stored sealed (encrypted and
 * authenticated), bound to its job id so that a sealed payload copied onto another job does not
 * open. The app owns the keys and binds an implementation (the credential keyring's cipher).
 */
export interface MailSealer {
  seal(plaintext: string, jobId: string): string;
  /** Throws when the text was not sealed for this job, or with a key no longer configured. */
  open(sealed: string, jobId: string): string;
}

export const MAIL_SEALER = Symbol('MAIL_SEALER');
