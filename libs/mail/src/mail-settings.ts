export interface MailSettings {
  /** SMTP_URL (smtp:// or smtps://, may carry credentials: never logged). None: the development outbox. */
  smtpUrl?: string;
  /** MAIL_FROM, e.g. `EntryGuard <no-reply@example.com>`. */
  from: string;
  /** APP_URL without a trailing slash: the base of every link in a mail. */
  appUrl: string;
  /** Where mails are written as .eml files when there is no SMTP_URL (`<DATA_DIR>/outbox`). */
  outboxDir: string;
}

export const MAIL_SETTINGS = Symbol('MAIL_SETTINGS');
