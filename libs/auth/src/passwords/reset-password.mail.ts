import type { MailMessage } from '@app/mail';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);

/** The mail a reset request sends: the link (valid 1 hour, single use), and what to do if it was not you. */
export function resetPasswordMail(to: string, organizationName: string, link: string): MailMessage {
  const intro = `Someone asked to reset the password of your EntryGuard account ${to} in ${organizationName}.`;
  const outro = 'If it was not you, ignore this mail: your password stays as it is.';
  return {
    to,
    subject: 'Reset your EntryGuard password',
    text: `${intro}\n\nTo choose a new password, open this link within 1 hour (it works once):\n${link}\n\n${outro}\n`,
    html:
      `<p>${escapeHtml(intro)}</p>` +
      `<p>To choose a new password, open this link within 1 hour (it works once):<br><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>` +
      `<p>${escapeHtml(outro)}</p>`,
  };
}
