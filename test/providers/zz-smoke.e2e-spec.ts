import { EC2Client, DescribeSecurityGroupsCommand, AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { startAwsFakeServer } from '../fakes/aws-fake-server';

it('smoke', async () => {
  const fake = await startAwsFakeServer({
    accounts: { AKIAFAKE000000000001: { secretAccessKey: 'sekret-sekret-sekret', accountId: '123456789012', sessionToken: 'tok' } },
    securityGroups: { 'eu-west-1': [{ groupId: 'sg-0123456789abcdef0', groupName: 'web', ingress: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.0.1/32', description: 'x' }, { ipProtocol: '-1', cidr: '2001:db8::1/128' }] }] },
  });
  const creds = { accessKeyId: 'AKIAFAKE000000000001', secretAccessKey: 'sekret-sekret-sekret', sessionToken: 'tok' };
  const sts = new STSClient({ region: 'us-east-1', endpoint: fake.url, credentials: creds, maxAttempts: 1 });
  console.log(await sts.send(new GetCallerIdentityCommand({})));
  const ec2 = new EC2Client({ region: 'eu-west-1', endpoint: fake.url, credentials: creds, maxAttempts: 1 });
  console.log(JSON.stringify(await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })), null, 1));
  console.log(JSON.stringify(await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-0123456789abcdef0', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '1.2.3.4/32', Description: 'hi' }] }] }))));
  fake.state.revokeAbsentBehaviour = 'unknown';
  console.log(JSON.stringify(await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: 'sg-0123456789abcdef0', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '1.2.3.4/32' }] }] }))));
  try { await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef9'] })); } catch (e: any) { console.log(e.name, e.message, e.$metadata, Object.keys(e)); }
  const bad = new STSClient({ region: 'us-east-1', endpoint: fake.url, credentials: { ...creds, secretAccessKey: 'wrong' }, maxAttempts: 1 });
  try { await bad.send(new GetCallerIdentityCommand({})); } catch (e: any) { console.log(e.name, e.message, e.$metadata?.httpStatusCode); }
  console.log(fake.state.requests);
  await fake.close();
});
