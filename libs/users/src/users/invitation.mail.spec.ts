import { assertValidMail } from '@app/mail';
import { invitationMail } from './invitation.mail';

describe('invitation mail', () => {
  const link = 'https://app.example/set-password?token=abc_DEF-123';

  it('says what it is, in text and HTML, with the link and nothing else to click', () => {
    const mail = invitationMail({ to: 'grace@acme.example', organizationName: 'Acme', invitedBy: 'ada@acme.example', link, validDays: 7 });
    expect(mail.subject).toBe('You are invited to Acme on EntryGuard');
    expect(mail.text).toContain(`ada@acme.example invited you to join Acme on EntryGuard.`);
    expect(mail.text).toContain(`\n${link}\n`);
    expect(mail.text).toContain('expires in 7 days');
    expect(mail.html).toContain(`<a href="${link}">`);
    expect(mail.html?.match(/<a /g)).toHaveLength(1);
    expect(() => assertValidMail(mail)).not.toThrow();
  });

  it('keeps a hostile organization name out of the markup and the subject line', () => {
    const mail = invitationMail({
      to: 'grace@acme.example',
      organizationName: 'Evil <script>alert(1)</script>\r\nBcc: victim@example.com "&',
      invitedBy: 'ada@acme.example',
      link: 'https://app.example/set-password?token=a&b=<c>',
      validDays: 7,
    });
    expect(mail.subject).toBe('You are invited to Evil <script>alert(1)</script> Bcc: victim@example.com "& on EntryGuard');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Evil &lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@example.com &quot;&amp;');
    expect(mail.html).toContain('href="https://app.example/set-password?token=a&amp;b=&lt;c&gt;"');
    expect(() => assertValidMail(mail)).not.toThrow();
  });
});
