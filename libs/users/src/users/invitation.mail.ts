import { MailMessage } from '@app/mail';

export interface InvitationMailInput {
  to: string;
  organizationName: string;
  /** Who sent it, as the recipient may know them (their email address). */
  invitedBy: string;
  /** `<APP_URL>/set-password?token=...`: the only secret in the mail. */
  link: string;
  validDays: number;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character]);
}

/** One line, whatever the organization was named (a subject cannot hold a line break). */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The invitation (§9): plain text and HTML saying the same, and nothing secret but the link. */
export function invitationMail(input: InvitationMailInput): MailMessage {
  const organization = oneLine(input.organizationName);
  const inviter = oneLine(input.invitedBy);
  const subject = `You are invited to ${organization} on EntryGuard`;
  const text = [
    'Hello,',
    '',
    `${inviter} invited you to join ${organization} on EntryGuard.`,
    '',
    'To accept, choose your password here:',
    input.link,
    '',
    `The link works once and expires in ${input.validDays} days. If it has expired, ask ${inviter} to send a new invitation.`,
    'If you did not expect this invitation, you can ignore this mail.',
    '',
    '-- EntryGuard',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    '<p>Hello,</p>',
    `<p>${escapeHtml(inviter)} invited you to join <strong>${escapeHtml(organization)}</strong> on EntryGuard.</p>`,
    `<p><a href="${escapeHtml(input.link)}">Accept the invitation and choose your password</a></p>`,
    `<p>Or paste this link into your browser:<br>${escapeHtml(input.link)}</p>`,
    `<p>The link works once and expires in ${input.validDays} days. If it has expired, ask ${escapeHtml(inviter)} to send a new invitation.</p>`,
    '<p>If you did not expect this invitation, you can ignore this mail.</p>',
    '<p>&mdash; EntryGuard</p>',
    '</body></html>',
  ].join('\n');
  return { to: input.to, subject, text, html };
}
