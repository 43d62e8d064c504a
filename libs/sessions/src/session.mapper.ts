import { toIsoUtc } from '@app/common';
import { SessionDto } from './dto/session.dto';
import { SessionWithRules } from './sessions.repository';

export function toSessionDto({ session, rules }: SessionWithRules): SessionDto {
  return {
    id: session.id,
    userId: session.userId,
    userName: session.userName,
    userEmail: session.userEmail,
    ipv4Address: session.ipv4Address,
    ipv6Address: session.ipv6Address,
    status: session.status,
    startedAt: toIsoUtc(session.startedAt) as string,
    expiresAt: toIsoUtc(session.expiresAt) as string,
    endedAt: session.endedAt ? toIsoUtc(session.endedAt) : null,
    endedReason: session.endedReason,
    resourceIps: rules.map((rule) => ({
      id: rule.id,
      resourceId: rule.resourceId,
      resourceName: rule.resourceName,
      ipVersion: rule.ipVersion,
      ipAddress: rule.ipAddress,
      status: rule.status,
      providerRuleId: rule.providerRuleId,
      appliedAt: rule.appliedAt ? toIsoUtc(rule.appliedAt) : null,
      removedAt: rule.removedAt ? toIsoUtc(rule.removedAt) : null,
      errorMessage: rule.errorMessage,
    })),
    createdAt: toIsoUtc(session.createdAt) as string,
  };
}
